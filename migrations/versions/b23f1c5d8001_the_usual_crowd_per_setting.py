"""the review's usual crowd per setting: an index of settings and people reached

Revision ID: b23f1c5d8001
Revises: a22e0b4c7001
Create Date: 2026-12-06 22:50:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'b23f1c5d8001'
down_revision = 'a22e0b4c7001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        'ix_encounters_setting_people', 'encounters', ['setting', 'people_reached'],
        unique=False,
    )


def downgrade():
    op.drop_index('ix_encounters_setting_people', table_name='encounters')
