"""accreditation: attainment settings, closing-the-loop notes, export jobs, evidence indexes

Revision ID: c2d3e4f5a6b7
Revises: b1c2d3e4f5a6
Create Date: 2026-11-26 11:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c2d3e4f5a6b7'
down_revision = 'b1c2d3e4f5a6'
branch_labels = None
# outcome_evidence and outcome_framework are created by the frameworks migration
depends_on = None


def upgrade():
    op.create_table('attainment_setting',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('framework_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.Column('target_level', sa.Integer(), nullable=False),
    sa.Column('min_evidence', sa.Integer(), nullable=False),
    sa.Column('updated_by', sa.String(length=255), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['framework_id'], ['outcome_framework.id'], name=op.f('fk_attainment_setting_framework_id_outcome_framework')),
    sa.ForeignKeyConstraint(['item_id'], ['outcome_item.id'], name=op.f('fk_attainment_setting_item_id_outcome_item')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_attainment_setting_tenant_id_tenant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attainment_setting'))
    )
    op.create_index('ix_attainment_setting_tenant_framework', 'attainment_setting', ['tenant_id', 'framework_id'], unique=False)
    op.create_table('attainment_note',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('framework_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('term', sa.String(length=255), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('author', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['lti_user.id'], name=op.f('fk_attainment_note_author_id_lti_user')),
    sa.ForeignKeyConstraint(['framework_id'], ['outcome_framework.id'], name=op.f('fk_attainment_note_framework_id_outcome_framework')),
    sa.ForeignKeyConstraint(['item_id'], ['outcome_item.id'], name=op.f('fk_attainment_note_item_id_outcome_item')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_attainment_note_tenant_id_tenant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attainment_note'))
    )
    op.create_index('ix_attainment_note_tenant_item', 'attainment_note', ['tenant_id', 'item_id'], unique=False)
    op.create_table('attainment_export',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('actor', sa.String(length=255), nullable=False),
    sa.Column('framework_id', sa.Integer(), nullable=False),
    sa.Column('program', sa.String(length=200), nullable=False),
    sa.Column('term_from', sa.String(length=255), nullable=False),
    sa.Column('term_to', sa.String(length=255), nullable=False),
    sa.Column('pseudonymize', sa.Boolean(), nullable=False),
    sa.Column('sample_per_stratum', sa.Integer(), nullable=False),
    sa.Column('seed', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('step', sa.String(length=64), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('processed', sa.Integer(), nullable=False),
    sa.Column('file_name', sa.String(length=100), nullable=True),
    sa.Column('file_size', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('heartbeat_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['framework_id'], ['outcome_framework.id'], name=op.f('fk_attainment_export_framework_id_outcome_framework')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['lti_user.id'], name=op.f('fk_attainment_export_requested_by_id_lti_user')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_attainment_export_tenant_id_tenant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attainment_export'))
    )
    op.create_index('ix_attainment_export_tenant_user', 'attainment_export', ['tenant_id', 'requested_by_id'], unique=False)
    op.create_index('ix_outcome_evidence_attainment', 'outcome_evidence', ['tenant_id', 'item_id', 'source', 'student_id', 'level', 'course_id'], unique=False)
    op.create_index('ix_outcome_evidence_tenant_course', 'outcome_evidence', ['tenant_id', 'course_id'], unique=False)


def downgrade():
    op.drop_index('ix_outcome_evidence_tenant_course', table_name='outcome_evidence')
    op.drop_index('ix_outcome_evidence_attainment', table_name='outcome_evidence')
    op.drop_index('ix_attainment_export_tenant_user', table_name='attainment_export')
    op.drop_table('attainment_export')
    op.drop_index('ix_attainment_note_tenant_item', table_name='attainment_note')
    op.drop_table('attainment_note')
    op.drop_index('ix_attainment_setting_tenant_framework', table_name='attainment_setting')
    op.drop_table('attainment_setting')
