"""a rumour in an organisation's view: indexes for its trend and its neighbourhoods

Revision ID: a22e0b4c7001
Revises: f21d9e3f6001
Create Date: 2026-12-06 21:40:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'a22e0b4c7001'
down_revision = 'f21d9e3f6001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        'ix_rumour_stats_day_organisation_rumour', 'rumour_stats_day',
        ['organisation_id', 'rumour_id', 'period_start'], unique=False,
    )
    op.create_index(
        'ix_encounters_organisation_day', 'encounters',
        ['organisation_id', 'local_day', 'neighbourhood_id', 'excluded_at'], unique=False,
        postgresql_include=['id'],
    )


def downgrade():
    op.drop_index('ix_encounters_organisation_day', table_name='encounters')
    op.drop_index('ix_rumour_stats_day_organisation_rumour', table_name='rumour_stats_day')
