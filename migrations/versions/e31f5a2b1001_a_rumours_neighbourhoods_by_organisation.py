"""a member's view of a rumour from a summary: the rumour's neighbourhoods by
organisation, month by month

Revision ID: e31f5a2b1001
Revises: d25e3a7c1001
Create Date: 2026-12-07 15:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e31f5a2b1001'
down_revision = 'd25e3a7c1001'
branch_labels = None
depends_on = None

MEASURES = (
    'encounters', 'people', 'outcome_open', 'outcome_doubt_sown', 'outcome_unchanged',
    'outcome_hostile', 'setting_street', 'setting_market', 'setting_bar', 'setting_school',
    'setting_workplace', 'setting_transport', 'setting_family', 'setting_online',
    'setting_association', 'setting_other',
)
DIMENSIONS = ('organisation', 'neighbourhood', 'rumour')
TABLE = 'rumour_organisation_stats_month'


def upgrade():
    op.create_table(
        TABLE,
        sa.Column('period_start', sa.Date(), nullable=False),
        *(sa.Column(f'{d}_id', sa.Integer(), autoincrement=False, nullable=False)
          for d in DIMENSIONS),
        *(sa.Column(m, sa.Integer(), nullable=False) for m in MEASURES),
        sa.PrimaryKeyConstraint(
            'period_start', *(f'{d}_id' for d in DIMENSIONS), name=op.f(f'pk_{TABLE}')
        ),
        sqlite_with_rowid=False,
    )
    op.create_index(
        'ix_rumour_organisation_stats_month_reader', TABLE,
        ['organisation_id', 'rumour_id', 'period_start'],
    )
    # The conversations already stored go in now (a GROUP BY over every link, once).
    from rumours.summaries import rebuild

    rebuild(op.get_bind(), names=(TABLE,))


def downgrade():
    op.drop_index('ix_rumour_organisation_stats_month_reader', table_name=TABLE)
    op.drop_table(TABLE)
