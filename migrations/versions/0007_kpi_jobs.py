"""KPI import jobs and their staging tables (checked cells, months rolled up).

Revision ID: 0007_kpi_jobs
Revises: 0006_kpi
Create Date: 2026-12-01 04:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0007_kpi_jobs'
down_revision = '0006_kpi'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('kpi_import_jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('upload_key', sa.String(length=43), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('file_hash', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('encoding', sa.String(length=20), nullable=False),
    sa.Column('mapping', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('progress', sa.Float(), nullable=False),
    sa.Column('rows_read', sa.Integer(), nullable=False),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.Column('rollup', sa.Boolean(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=True),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['kpi_import_batches.id'], name=op.f('fk_kpi_import_jobs_batch_id_kpi_import_batches'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_kpi_import_jobs_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kpi_import_jobs'))
    )
    with op.batch_alter_table('kpi_import_jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kpi_import_jobs_user_id'), ['user_id'], unique=False)

    if op.get_bind().dialect.name != "postgresql":
        return                    # SQLite stages each job in a scratch file of its own (app/kpi/staging.py)
    # Unlogged (no WAL; emptied after a crash, which is fine for scratch rows), no primary key: COPY
    # loads them and duplicates are found with one GROUP BY.
    op.create_table('kpi_staged_cells',
    sa.Column('job_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('user_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('metric_code', sa.String(length=40), nullable=False),
    sa.Column('period', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('row_no', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('col', sa.SmallInteger(), autoincrement=False, nullable=False),
    sa.Column('bad', sa.SmallInteger(), autoincrement=False, nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('bare', sa.SmallInteger(), autoincrement=False, nullable=False),
    sa.Column('contacts', sa.Integer(), nullable=True),
    prefixes=["UNLOGGED"],
    )
    op.create_index('ix_kpi_staged_cells_job_id', 'kpi_staged_cells', ['job_id'])
    op.create_table('kpi_staged_values',
    sa.Column('job_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('user_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('metric_code', sa.String(length=40), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('contacts', sa.Integer(), nullable=True),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('job_id', 'user_id', 'month', 'metric_code', name=op.f('pk_kpi_staged_values')),
    prefixes=["UNLOGGED"],
    )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.drop_table('kpi_staged_values')
        op.drop_table('kpi_staged_cells')
    with op.batch_alter_table('kpi_import_jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_kpi_import_jobs_user_id'))
    op.drop_table('kpi_import_jobs')
