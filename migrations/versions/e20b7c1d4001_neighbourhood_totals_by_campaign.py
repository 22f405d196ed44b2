"""the neighbourhood totals keep the campaign too (the map of a campaign's view)

Revision ID: e20b7c1d4001
Revises: d19b4f6a2001
Create Date: 2026-12-06 10:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e20b7c1d4001'
down_revision = 'd19b4f6a2001'
branch_labels = None
depends_on = None

MEASURES = (
    'encounters', 'people', 'outcome_open', 'outcome_doubt_sown', 'outcome_unchanged',
    'outcome_hostile', 'setting_street', 'setting_market', 'setting_bar', 'setting_school',
    'setting_workplace', 'setting_transport', 'setting_family', 'setting_online',
    'setting_association', 'setting_other',
)
TABLES = ('neighbourhood_totals_day', 'neighbourhood_totals_month')


def _rebuild(dimensions):
    """Each table made anew with these dimensions and filled by adding up the
    neighbourhood counts (which keep every dimension): one pass, no app code."""
    keys = ', '.join(('period_start', *(f'{d}_id' for d in dimensions)))
    for name in TABLES:
        op.drop_table(name)
        op.create_table(
            name,
            sa.Column('period_start', sa.Date(), nullable=False),
            *(sa.Column(f'{d}_id', sa.Integer(), autoincrement=False, nullable=False)
              for d in dimensions),
            *(sa.Column(m, sa.Integer(), nullable=False) for m in MEASURES),
            sa.PrimaryKeyConstraint(
                'period_start', *(f'{d}_id' for d in dimensions), name=op.f(f'pk_{name}')
            ),
            sqlite_with_rowid=False,
        )
        grain = name.rsplit('_', 1)[1]
        op.execute(
            f'INSERT INTO {name} ({keys}, {", ".join(MEASURES)}) '
            f'SELECT {keys}, {", ".join(f"sum({m})" for m in MEASURES)} '
            f'FROM neighbourhood_stats_{grain} GROUP BY {keys}'
        )


def upgrade():
    _rebuild(('district', 'neighbourhood', 'campaign'))


def downgrade():
    _rebuild(('district', 'neighbourhood'))
