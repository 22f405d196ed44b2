"""summary months by district and by organisation (filtered dashboards)

Revision ID: c18a7d3e9001
Revises: b17e0f2c8001
Create Date: 2026-12-06 07:45:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'c18a7d3e9001'
down_revision = 'b17e0f2c8001'
branch_labels = None
depends_on = None

INDEXES = (
    ('ix_neighbourhood_stats_month_district', 'neighbourhood_stats_month', 'district_id'),
    ('ix_neighbourhood_stats_month_organisation', 'neighbourhood_stats_month',
     'organisation_id'),
    ('ix_rumour_stats_month_organisation', 'rumour_stats_month', 'organisation_id'),
)


def upgrade():
    for name, table, column in INDEXES:
        op.create_index(name, table, [column, 'period_start'], unique=False)


def downgrade():
    for name, table, _column in reversed(INDEXES):
        op.drop_index(name, table_name=table)
