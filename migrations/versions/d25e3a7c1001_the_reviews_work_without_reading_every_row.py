"""the review's work without reading every row: the usual crowd per setting kept as a
summary, and the conversations that may need a look in a partial index

Revision ID: d25e3a7c1001
Revises: c24a7e9b1001
Create Date: 2026-12-07 13:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd25e3a7c1001'
down_revision = 'c24a7e9b1001'
branch_labels = None
depends_on = None

MEASURES = (
    'encounters', 'people', 'outcome_open', 'outcome_doubt_sown', 'outcome_unchanged',
    'outcome_hostile', 'setting_street', 'setting_market', 'setting_bar', 'setting_school',
    'setting_workplace', 'setting_transport', 'setting_family', 'setting_online',
    'setting_association', 'setting_other',
)
DIMENSIONS = ('district', 'setting')
TABLE = 'setting_stats_month'
# As rumours.models had it at this revision (a migration keeps its own).
CANDIDATE = (
    'checked_at IS NULL AND excluded_at IS NULL AND (burst OR people_reached >= 12)'
)


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
    # The conversations already stored go in now (a GROUP BY over every row, once).
    from rumours.summaries import rebuild

    rebuild(op.get_bind(), names=(TABLE,))
    op.drop_index('ix_encounters_setting_people', table_name='encounters')
    op.create_index(
        'ix_encounters_review_candidates', 'encounters', ['occurred_at', 'id'],
        sqlite_where=sa.text(CANDIDATE), postgresql_where=sa.text(CANDIDATE),
    )


def downgrade():
    op.drop_index('ix_encounters_review_candidates', table_name='encounters')
    op.create_index(
        'ix_encounters_setting_people', 'encounters', ['setting', 'people_reached']
    )
    op.drop_table(TABLE)
