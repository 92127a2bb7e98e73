"""Where a question lives: the line of its file entry and the state last synced from it.

synced_hash starts empty for every existing question: nobody can say whether a
difference between an old row and its file came from the file or from the
browser, so the first sync records the questions that agree and reports the
others instead of overwriting them.

Revision ID: 0009_content_source
Revises: 0008_user_sessions
Create Date: 2026-12-02 10:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0009_content_source'
down_revision = '0008_user_sessions'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source_line', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('synced_hash', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.drop_column('synced_hash')
        batch_op.drop_column('source_line')
