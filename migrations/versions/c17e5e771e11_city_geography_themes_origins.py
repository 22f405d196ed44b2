"""any city: district and neighbourhood codes as text, shapes, retirement and order;
themes as rows; where an imported rumour came from

Revision ID: c17e5e771e11
Revises: 6a40138631be
Create Date: 2026-12-03 06:30:00

"""
from alembic import op
import sqlalchemy as sa
import rumours.models


# revision identifiers, used by Alembic.
revision = 'c17e5e771e11'
down_revision = '6a40138631be'
branch_labels = None
depends_on = None

BUILT_IN_THEMES = [
    'employment', 'welfare', 'health', 'housing', 'security', 'economy',
    'religion_culture', 'education', 'coexistence',
]
OLD_THEME = sa.Enum(*BUILT_IN_THEMES, name='theme', native_enum=False, create_constraint=True)


def upgrade():
    themes = op.create_table('themes',
    sa.Column('slug', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('retired', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('slug', name=op.f('pk_themes'))
    )
    op.bulk_insert(themes, [
        {'slug': slug, 'name': None, 'position': position, 'retired': False}
        for position, slug in enumerate(BUILT_IN_THEMES)
    ])

    for table in ('districts', 'neighbourhoods'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('code', existing_type=sa.Integer(),
                                  type_=sa.String(length=40),
                                  postgresql_using='code::text')
            batch_op.add_column(sa.Column('position', sa.Integer(), nullable=False,
                                          server_default='0'))
            batch_op.add_column(sa.Column('retired', sa.Boolean(), nullable=False,
                                          server_default=sa.false()))
            batch_op.add_column(sa.Column('geometry', sa.Text(), nullable=True))
        # Keep today's order: the old numeric codes.
        op.execute(f"UPDATE {table} SET position = CAST(code AS INTEGER)")

    op.create_table('pending_imports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', rumours.models.UTCDateTime(), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_pending_imports_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pending_imports')),
    sa.UniqueConstraint('token', name=op.f('uq_pending_imports_token'))
    )

    with op.batch_alter_table('rumours', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_rumours_theme'), type_='check')
        batch_op.alter_column('theme', existing_type=sa.String(length=16),
                              type_=sa.String(length=40))
        batch_op.create_foreign_key(batch_op.f('fk_rumours_theme_themes'), 'themes',
                                    ['theme'], ['slug'])
        batch_op.add_column(sa.Column('origin_network', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('origin_url', sa.String(length=1000), nullable=True))
        batch_op.add_column(sa.Column('origin_slug', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('origin_version', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('origin_digest', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('imported_at', rumours.models.UTCDateTime(), nullable=True))


def downgrade():
    op.drop_table('pending_imports')
    # Rumours under a theme added since cannot go back to the fixed list.
    op.execute("UPDATE rumours SET theme = 'coexistence' WHERE theme NOT IN ("
               + ", ".join(f"'{slug}'" for slug in BUILT_IN_THEMES) + ")")
    with op.batch_alter_table('rumours', schema=None) as batch_op:
        batch_op.drop_column('imported_at')
        batch_op.drop_column('origin_digest')
        batch_op.drop_column('origin_version')
        batch_op.drop_column('origin_slug')
        batch_op.drop_column('origin_url')
        batch_op.drop_column('origin_network')
        batch_op.drop_constraint(batch_op.f('fk_rumours_theme_themes'), type_='foreignkey')
        batch_op.alter_column('theme', existing_type=sa.String(length=40),
                              type_=sa.String(length=16))
        batch_op.create_check_constraint(
            'theme', sa.column('theme').in_(BUILT_IN_THEMES))
    for table in ('neighbourhoods', 'districts'):
        # Codes that are not numbers cannot go back to integers.
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('geometry')
            batch_op.drop_column('retired')
            batch_op.drop_column('position')
            batch_op.alter_column('code', existing_type=sa.String(length=40),
                                  type_=sa.Integer(),
                                  postgresql_using='code::integer')
    op.drop_table('themes')
