"""encounters a coordinator checked or excluded from statistics

Revision ID: f15c4ec0a001
Revises: e14f0a5e7001
Create Date: 2026-12-03 08:00:00

"""
from alembic import op
import sqlalchemy as sa
import rumours.models


# revision identifiers, used by Alembic.
revision = 'f15c4ec0a001'
down_revision = 'e14f0a5e7001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('encounters', schema=None) as batch_op:
        batch_op.add_column(sa.Column('checked_at', rumours.models.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('excluded_at', rumours.models.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('excluded_reason', sa.String(length=300), nullable=True))
    # Recount the summaries with the code of this revision (it reads excluded_at). This
    # also counts the encounters of a database upgraded from before the summary tables.
    # Only the tables of this revision: later ones add theirs and count them then.
    from rumours.summaries import rebuild

    rebuild(op.get_bind(), names=(
        'encounter_stats_day', 'encounter_stats_week', 'encounter_stats_month',
        'rumour_stats_day', 'rumour_stats_month',
        'rumour_district_stats_day', 'rumour_district_stats_month',
        'campaign_rumour_stats_day', 'campaign_rumour_stats_month',
    ))


def downgrade():
    # The summaries count every encounter again: run `flask stats rebuild` after this.
    with op.batch_alter_table('encounters', schema=None) as batch_op:
        batch_op.drop_column('excluded_reason')
        batch_op.drop_column('excluded_at')
        batch_op.drop_column('checked_at')
