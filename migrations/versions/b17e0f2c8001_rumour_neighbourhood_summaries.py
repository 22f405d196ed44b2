"""summary tables per rumour and neighbourhood (the map in a rumour's view)

Revision ID: b17e0f2c8001
Revises: a16d0e1b7001
Create Date: 2026-12-06 06:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b17e0f2c8001'
down_revision = 'a16d0e1b7001'
branch_labels = None
depends_on = None

MEASURES = (
    'encounters', 'people', 'outcome_open', 'outcome_doubt_sown', 'outcome_unchanged',
    'outcome_hostile', 'setting_street', 'setting_market', 'setting_bar', 'setting_school',
    'setting_workplace', 'setting_transport', 'setting_family', 'setting_online',
    'setting_association', 'setting_other',
)
TABLES = ('rumour_neighbourhood_stats_day', 'rumour_neighbourhood_stats_month')


def upgrade():
    for name in TABLES:
        op.create_table(
            name,
            sa.Column('period_start', sa.Date(), nullable=False),
            sa.Column('district_id', sa.Integer(), autoincrement=False, nullable=False),
            sa.Column('neighbourhood_id', sa.Integer(), autoincrement=False, nullable=False),
            sa.Column('rumour_id', sa.Integer(), autoincrement=False, nullable=False),
            *(sa.Column(m, sa.Integer(), nullable=False) for m in MEASURES),
            sa.PrimaryKeyConstraint(
                'period_start', 'district_id', 'neighbourhood_id', 'rumour_id',
                name=op.f(f'pk_{name}'),
            ),
            sqlite_with_rowid=False,
        )
    # The conversations already stored go in now (one pass over the links).
    from rumours.summaries import rebuild

    rebuild(op.get_bind(), names=TABLES)


def downgrade():
    for name in reversed(TABLES):
        op.drop_table(name)
