"""reports: rumours heard that may not be in the catalogue (from agents and the public),
their triage, and the per-address limit on public reports

Revision ID: e14f0a5e7001
Revises: d13a5ec0f001
Create Date: 2026-12-03 07:00:00

"""
from alembic import op
import sqlalchemy as sa
import rumours.models


# revision identifiers, used by Alembic.
revision = 'e14f0a5e7001'
down_revision = 'd13a5ec0f001'
branch_labels = None
depends_on = None

SETTINGS = ('street', 'market', 'bar', 'school', 'workplace', 'transport', 'family',
            'online', 'association', 'other')


def upgrade():
    op.create_table('reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.Enum('agent', 'public', name='report_source', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('claim', sa.String(length=300), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=True),
    sa.Column('district_id', sa.Integer(), nullable=True),
    sa.Column('setting', sa.Enum(*SETTINGS, name='setting', native_enum=False, create_constraint=True), nullable=True),
    sa.Column('encounter_id', sa.Integer(), nullable=True),
    sa.Column('created_at', rumours.models.UTCDateTime(), nullable=False),
    sa.Column('status', sa.Enum('untriaged', 'linked', 'promoted', 'dismissed', name='report_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('rumour_id', sa.Integer(), nullable=True),
    sa.Column('dismiss_reason', sa.Enum('off_topic', 'abusive', 'unclear', name='dismiss_reason', native_enum=False, create_constraint=True), nullable=True),
    sa.Column('triaged_at', rumours.models.UTCDateTime(), nullable=True),
    sa.Column('triaged_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_reports_district_id_districts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['encounter_id'], ['encounters.id'], name=op.f('fk_reports_encounter_id_encounters'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['rumour_id'], ['rumours.id'], name=op.f('fk_reports_rumour_id_rumours'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['triaged_by_id'], ['users.id'], name=op.f('fk_reports_triaged_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reports')),
    sa.UniqueConstraint('encounter_id', name=op.f('uq_reports_encounter_id'))
    )
    op.create_index('ix_reports_status_created', 'reports', ['status', 'created_at'], unique=False)
    op.create_index(op.f('ix_reports_created_at'), 'reports', ['created_at'], unique=False)
    op.create_table('report_limits',
    sa.Column('address_hash', sa.String(length=64), nullable=False),
    sa.Column('hour_start', rumours.models.UTCDateTime(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('address_hash', 'hour_start', name=op.f('pk_report_limits'))
    )


def downgrade():
    op.drop_table('report_limits')
    op.drop_index(op.f('ix_reports_created_at'), table_name='reports')
    op.drop_index('ix_reports_status_created', table_name='reports')
    op.drop_table('reports')
