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


def _period(grain):
    if grain == 'day':
        return 'e.local_day'
    if op.get_bind().dialect.name == 'postgresql':
        return "CAST(date_trunc('month', e.local_day) AS DATE)"
    return "date(e.local_day, 'start of month')"


def _recount(dimensions):
    """Each table made anew with these dimensions in its key and counted from the stored
    conversations and their rumours (one pass over the links each, no app code)."""
    columns = {'district': 'e.district_id', 'neighbourhood': 'coalesce(e.neighbourhood_id, 0)',
               'campaign': 'coalesce(e.campaign_id, 0)', 'rumour': 'l.rumour_id'}
    sums = ['count(*)', 'sum(e.people_reached)',
            *(f"sum(CASE WHEN e.outcome = '{o}' THEN 1 ELSE 0 END)" for o in OUTCOMES),
            *(f"sum(CASE WHEN e.setting = '{s}' THEN 1 ELSE 0 END)" for s in SETTINGS)]
    keys = ['period_start', *(f'{d}_id' for d in dimensions)]
    for name in TABLES:
        op.drop_table(name)
        op.create_table(
            name,
            sa.Column('period_start', sa.Date(), nullable=False),
            *(sa.Column(f'{d}_id', sa.Integer(), autoincrement=False, nullable=False)
              for d in dimensions),
            *(sa.Column(m, sa.Integer(), nullable=False) for m in MEASURES),
            sa.PrimaryKeyConstraint(*keys, name=op.f(f'pk_{name}')),
            sqlite_with_rowid=False,
        )
        selected = [_period(name.rsplit('_', 1)[1]), *(columns[d] for d in dimensions)]
        op.execute(
            f'INSERT INTO {name} ({", ".join(keys)}, {", ".join(MEASURES)}) '
            f'SELECT {", ".join(selected + sums)} '
            'FROM encounters e JOIN encounter_rumours l ON l.encounter_id = e.id '
            'WHERE e.excluded_at IS NULL '
            f'GROUP BY {", ".join(str(i + 1) for i in range(len(selected)))}'
        )


def upgrade():
    _recount(('district', 'neighbourhood', 'campaign', 'rumour'))


def downgrade():
    _recount(('district', 'neighbourhood', 'rumour'))
