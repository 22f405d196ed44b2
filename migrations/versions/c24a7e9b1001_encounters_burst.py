"""the review's "many in a few minutes", stored with each conversation

Revision ID: c24a7e9b1001
Revises: b23f1c5d8001
Create Date: 2026-12-07 00:20:00

"""
from datetime import timedelta

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c24a7e9b1001'
down_revision = 'b23f1c5d8001'
branch_labels = None
depends_on = None

# As rumours.summaries.bursts had them at this revision (a migration keeps its own).
BURST_COUNT = 4
BURST_WINDOW = timedelta(minutes=5)


def upgrade():
    # Plain ALTER TABLE on both databases: SQLite adds (and drops) a column in place,
    # where a batch operation would copy the table and drop the old one, and dropping
    # it deletes the rows that point at it (ON DELETE CASCADE: the rumours heard).
    op.add_column(
        'encounters', sa.Column('burst', sa.Boolean(), server_default=sa.false(), nullable=False)
    )
    # Flag the conversations stored so far: each one's agent's conversations within the
    # window, counted through the agent's index of times.
    if op.get_bind().dialect.name == 'sqlite':
        margin = int((BURST_WINDOW + timedelta(minutes=1)).total_seconds() // 60)
        # Narrowed by text a minute wider than the window, decided in whole microseconds.
        def microseconds(column):
            return (
                f"(CAST(strftime('%s', {column}) AS INTEGER) * 1000000 "
                f"+ CAST(substr({column}, 21, 6) AS INTEGER))"
            )

        near = (
            f"n.occurred_at >= datetime(e.occurred_at, '-{margin} minutes') "
            f"AND n.occurred_at <= datetime(e.occurred_at, '+{margin} minutes') "
            f"AND abs({microseconds('n.occurred_at')} - {microseconds('e.occurred_at')}) "
            f"<= {BURST_WINDOW // timedelta(microseconds=1)}"
        )
    else:
        seconds = int(BURST_WINDOW.total_seconds())
        near = (
            f"n.occurred_at BETWEEN e.occurred_at - interval '{seconds} seconds' "
            f"AND e.occurred_at + interval '{seconds} seconds'"
        )
    # "Is there a fourth?": each row reads at most four index entries.
    op.execute(
        "UPDATE encounters AS e SET burst = true WHERE e.agent_id IS NOT NULL AND "
        f"(SELECT 1 FROM encounters AS n WHERE n.agent_id = e.agent_id AND {near} "
        f"LIMIT 1 OFFSET {BURST_COUNT - 1}) IS NOT NULL"
    )


def downgrade():
    op.drop_column('encounters', 'burst')
