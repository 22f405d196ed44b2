"""a rumour's neighbourhoods keep the campaign too (the map of a rumour's view in a campaign)

Revision ID: f21d9e3f6001
Revises: e20b7c1d4001
Create Date: 2026-12-06 20:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f21d9e3f6001'
down_revision = 'e20b7c1d4001'
branch_labels = None
depends_on = None

OUTCOMES = ('open', 'doubt_sown', 'unchanged', 'hostile')
SETTINGS = ('street', 'market', 'bar', 'school', 'workplace', 'transport', 'family',
            'online', 'association', 'other')
MEASURES = ('encounters', 'people', *(f'outcome_{o}' for o in OUTCOMES),
            *(f'setting_{s}' for s in SETTINGS))
TABLES = ('rumour_neighbourhood_stats_day', 'rumour_neighbourhood_stats_month')
WIDE = ('district', 'neighbourhood', 'campaign', 'rumour')
NARROW = ('district', 'neighbourhood', 'rumour')


def _create(name, dimensions):
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


def _period(grain):
    if grain == 'day':
        return 'e.local_day'
    if op.get_bind().dialect.name == 'postgresql':
        return "CAST(date_trunc('month', e.local_day) AS DATE)"
    return "date(e.local_day, 'start of month')"


def upgrade():
    """Each table made anew with the campaign in its key and counted from the stored
    conversations and their rumours (one pass over the links each, no app code)."""
    columns = {'district': 'e.district_id', 'neighbourhood': 'coalesce(e.neighbourhood_id, 0)',
               'campaign': 'coalesce(e.campaign_id, 0)', 'rumour': 'l.rumour_id'}
    sums = ['count(*)', 'sum(e.people_reached)',
            *(f"sum(CASE WHEN e.outcome = '{o}' THEN 1 ELSE 0 END)" for o in OUTCOMES),
            *(f"sum(CASE WHEN e.setting = '{s}' THEN 1 ELSE 0 END)" for s in SETTINGS)]
    keys = ', '.join(('period_start', *(f'{d}_id' for d in WIDE)))
    for name in TABLES:
        op.drop_table(name)
        _create(name, WIDE)
        grain = name.rsplit('_', 1)[1]
        selected = [_period(grain), *(columns[d] for d in WIDE)]
        op.execute(
            f'INSERT INTO {name} ({keys}, {", ".join(MEASURES)}) '
            f'SELECT {", ".join(selected + sums)} '
            'FROM encounters e JOIN encounter_rumours l ON l.encounter_id = e.id '
            'WHERE e.excluded_at IS NULL '
            f'GROUP BY {", ".join(str(i + 1) for i in range(len(selected)))}'
        )


def downgrade():
    """Back to a row per district, neighbourhood and rumour: the campaigns added up."""
    keys = ', '.join(('period_start', *(f'{d}_id' for d in NARROW)))
    for name in TABLES:
        added_up = f'{name}_narrow'
        op.create_table(
            added_up,
            sa.Column('period_start', sa.Date(), nullable=False),
            *(sa.Column(f'{d}_id', sa.Integer(), nullable=False) for d in NARROW),
            *(sa.Column(m, sa.Integer(), nullable=False) for m in MEASURES),
        )
        op.execute(
            f'INSERT INTO {added_up} ({keys}, {", ".join(MEASURES)}) '
            f'SELECT {keys}, {", ".join(f"sum({m})" for m in MEASURES)} '
            f'FROM {name} GROUP BY {keys}'
        )
        op.drop_table(name)
        _create(name, NARROW)
        op.execute(
            f'INSERT INTO {name} ({keys}, {", ".join(MEASURES)}) '
            f'SELECT {keys}, {", ".join(MEASURES)} FROM {added_up}'
        )
        op.drop_table(added_up)
