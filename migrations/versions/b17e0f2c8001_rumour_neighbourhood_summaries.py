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
    # The conversations already stored go in now (one pass over the links), counted in
    # SQL here rather than by the app's code, whose tables have changed since
    # (f21d9e3f6001 adds the campaign).
    period = {
        'day': 'e.local_day',
        'month': (
            "CAST(date_trunc('month', e.local_day) AS DATE)"
            if op.get_bind().dialect.name == 'postgresql'
            else "date(e.local_day, 'start of month')"
        ),
    }
    sums = ['count(*)', 'sum(e.people_reached)',
            *(f"sum(CASE WHEN e.outcome = '{m[8:]}' THEN 1 ELSE 0 END)"
              for m in MEASURES if m.startswith('outcome_')),
            *(f"sum(CASE WHEN e.setting = '{m[8:]}' THEN 1 ELSE 0 END)"
              for m in MEASURES if m.startswith('setting_'))]
    for name in TABLES:
        op.execute(
            f'INSERT INTO {name} (period_start, district_id, neighbourhood_id, rumour_id, '
            f'{", ".join(MEASURES)}) '
            f'SELECT {period[name.rsplit("_", 1)[1]]}, e.district_id, '
            f'coalesce(e.neighbourhood_id, 0), l.rumour_id, {", ".join(sums)} '
            'FROM encounters e JOIN encounter_rumours l ON l.encounter_id = e.id '
            'WHERE e.excluded_at IS NULL GROUP BY 1, 2, 3, 4'
        )


def downgrade():
    for name in reversed(TABLES):
        op.drop_table(name)
