"""Assessment policies, versioned: weights, parts, bands, coverage, red-line cap.

Revision ID: 0010_assessment_policy
Revises: 0009_content_source
Create Date: 2026-12-08 03:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0010_assessment_policy'
down_revision = '0009_content_source'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('assessment_policy_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('definition', sa.JSON(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_assessment_policy_versions_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_policy_versions')),
    sa.UniqueConstraint('version', name=op.f('uq_assessment_policy_versions_version'))
    )


def downgrade():
    op.drop_table('assessment_policy_versions')
