"""summary tables per neighbourhood (the dashboard's map)

Revision ID: a16d0e1b7001
Revises: f15c4ec0a001
Create Date: 2026-12-06 05:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a16d0e1b7001'
down_revision = 'f15c4ec0a001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('neighbourhood_stats_day',
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('district_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('neighbourhood_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('organisation_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('campaign_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('encounters', sa.Integer(), nullable=False),
    sa.Column('people', sa.Integer(), nullable=False),
    sa.Column('outcome_open', sa.Integer(), nullable=False),
    sa.Column('outcome_doubt_sown', sa.Integer(), nullable=False),
    sa.Column('outcome_unchanged', sa.Integer(), nullable=False),
    sa.Column('outcome_hostile', sa.Integer(), nullable=False),
    sa.Column('setting_street', sa.Integer(), nullable=False),
    sa.Column('setting_market', sa.Integer(), nullable=False),
    sa.Column('setting_bar', sa.Integer(), nullable=False),
    sa.Column('setting_school', sa.Integer(), nullable=False),
    sa.Column('setting_workplace', sa.Integer(), nullable=False),
    sa.Column('setting_transport', sa.Integer(), nullable=False),
    sa.Column('setting_family', sa.Integer(), nullable=False),
    sa.Column('setting_online', sa.Integer(), nullable=False),
    sa.Column('setting_association', sa.Integer(), nullable=False),
    sa.Column('setting_other', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('period_start', 'district_id', 'neighbourhood_id', 'organisation_id', 'campaign_id', name=op.f('pk_neighbourhood_stats_day')),
    sqlite_with_rowid=False
    )
    op.create_table('neighbourhood_stats_month',
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('district_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('neighbourhood_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('organisation_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('campaign_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('encounters', sa.Integer(), nullable=False),
    sa.Column('people', sa.Integer(), nullable=False),
    sa.Column('outcome_open', sa.Integer(), nullable=False),
    sa.Column('outcome_doubt_sown', sa.Integer(), nullable=False),
    sa.Column('outcome_unchanged', sa.Integer(), nullable=False),
    sa.Column('outcome_hostile', sa.Integer(), nullable=False),
    sa.Column('setting_street', sa.Integer(), nullable=False),
    sa.Column('setting_market', sa.Integer(), nullable=False),
    sa.Column('setting_bar', sa.Integer(), nullable=False),
    sa.Column('setting_school', sa.Integer(), nullable=False),
    sa.Column('setting_workplace', sa.Integer(), nullable=False),
    sa.Column('setting_transport', sa.Integer(), nullable=False),
    sa.Column('setting_family', sa.Integer(), nullable=False),
    sa.Column('setting_online', sa.Integer(), nullable=False),
    sa.Column('setting_association', sa.Integer(), nullable=False),
    sa.Column('setting_other', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('period_start', 'district_id', 'neighbourhood_id', 'organisation_id', 'campaign_id', name=op.f('pk_neighbourhood_stats_month')),
    sqlite_with_rowid=False
    )
    # The conversations already stored go in now (a GROUP BY over every row, once).
    from rumours.summaries import rebuild

    rebuild(op.get_bind(), names=('neighbourhood_stats_day', 'neighbourhood_stats_month'))


def downgrade():
    op.drop_table('neighbourhood_stats_month')
    op.drop_table('neighbourhood_stats_day')
