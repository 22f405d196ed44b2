"""summary tables per neighbourhood for the whole network (the map of the network's and a
district's view)

Revision ID: d19b4f6a2001
Revises: c18a7d3e9001
Create Date: 2026-12-06 08:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd19b4f6a2001'
down_revision = 'c18a7d3e9001'
branch_labels = None
depends_on = None

MEASURES = (
    'encounters', 'people', 'outcome_open', 'outcome_doubt_sown', 'outcome_unchanged',
    'outcome_hostile', 'setting_street', 'setting_market', 'setting_bar', 'setting_school',
    'setting_workplace', 'setting_transport', 'setting_family', 'setting_online',
    'setting_association', 'setting_other',
)
DIMENSIONS = ('district', 'neighbourhood')
TABLES = ('neighbourhood_totals_day', 'neighbourhood_totals_month')


def upgrade():
    for name in TABLES:
        op.create_table(
            name,
            sa.Column('period_start', sa.Date(), nullable=False),
            *(sa.Column(f'{d}_id', sa.Integer(), autoincrement=False, nullable=False)
              for d in DIMENSIONS),
            *(sa.Column(m, sa.Integer(), nullable=False) for m in MEASURES),
            sa.PrimaryKeyConstraint(
                'period_start', *(f'{d}_id' for d in DIMENSIONS), name=op.f(f'pk_{name}')
            ),
            sqlite_with_rowid=False,
        )
    # The conversations already stored go in now, added up from the per-organisation and
    # per-campaign counts (this file's own SQL: the app's table definitions may change).
    keys = ', '.join(('period_start', *(f'{d}_id' for d in DIMENSIONS)))
    for name in TABLES:
        grain = name.rsplit('_', 1)[1]
        op.execute(
            f'INSERT INTO {name} ({keys}, {", ".join(MEASURES)}) '
            f'SELECT {keys}, {", ".join(f"sum({m})" for m in MEASURES)} '
            f'FROM neighbourhood_stats_{grain} GROUP BY {keys}'
        )


def downgrade():
    for name in reversed(TABLES):
        op.drop_table(name)
