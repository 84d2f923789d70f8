"""outcome frameworks, crosswalk, evidence, Canvas authorizations and connector credentials

Revision ID: a9b6f5d7c8e6
Revises: f8a5e4c6b7d5
Create Date: 2026-11-26 10:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a9b6f5d7c8e6'
down_revision = 'f8a5e4c6b7d5'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('outcome_framework',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('identifier', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('template', sa.String(length=32), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('creator', sa.String(length=300), nullable=False),
    sa.Column('program', sa.String(length=200), nullable=False),
    sa.Column('version', sa.String(length=64), nullable=False),
    sa.Column('source_url', sa.String(length=1000), nullable=True),
    sa.Column('course_id', sa.Integer(), nullable=True),
    sa.Column('scale', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_outcome_framework_course_id_course')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_outcome_framework_tenant_id_tenant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outcome_framework')),
    sa.UniqueConstraint('tenant_id', 'identifier', name=op.f('uq_outcome_framework_tenant_id_identifier'))
    )
    op.create_index(op.f('ix_outcome_framework_tenant_id'), 'outcome_framework', ['tenant_id'], unique=False)
    op.create_table('outcome_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('framework_id', sa.Integer(), nullable=False),
    sa.Column('identifier', sa.String(length=36), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('human_coding', sa.String(length=64), nullable=False),
    sa.Column('item_type', sa.String(length=100), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['framework_id'], ['outcome_framework.id'], name=op.f('fk_outcome_item_framework_id_outcome_framework')),
    sa.ForeignKeyConstraint(['parent_id'], ['outcome_item.id'], name=op.f('fk_outcome_item_parent_id_outcome_item')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_outcome_item_tenant_id_tenant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outcome_item')),
    sa.UniqueConstraint('framework_id', 'identifier', name=op.f('uq_outcome_item_framework_id_identifier'))
    )
    op.create_index(op.f('ix_outcome_item_tenant_id'), 'outcome_item', ['tenant_id'], unique=False)
    op.create_table('outcome_item_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('statement', sa.Text(), nullable=False),
    sa.Column('created_by', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['outcome_item.id'], name=op.f('fk_outcome_item_version_item_id_outcome_item')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_outcome_item_version_tenant_id_tenant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outcome_item_version')),
    sa.UniqueConstraint('item_id', 'number', name=op.f('uq_outcome_item_version_item_id_number'))
    )
    op.create_index(op.f('ix_outcome_item_version_tenant_id'), 'outcome_item_version', ['tenant_id'], unique=False)
    op.create_table('outcome_alignment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('source_item_id', sa.Integer(), nullable=False),
    sa.Column('target_item_id', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_outcome_alignment_course_id_course')),
    sa.ForeignKeyConstraint(['source_item_id'], ['outcome_item.id'], name=op.f('fk_outcome_alignment_source_item_id_outcome_item')),
    sa.ForeignKeyConstraint(['target_item_id'], ['outcome_item.id'], name=op.f('fk_outcome_alignment_target_item_id_outcome_item')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_outcome_alignment_tenant_id_tenant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outcome_alignment')),
    sa.UniqueConstraint('source_item_id', 'target_item_id', name=op.f('uq_outcome_alignment_source_item_id_target_item_id'))
    )
    op.create_index(op.f('ix_outcome_alignment_tenant_id'), 'outcome_alignment', ['tenant_id'], unique=False)
    op.create_index(op.f('ix_outcome_alignment_course_id'), 'outcome_alignment', ['course_id'], unique=False)
    op.create_index(op.f('ix_outcome_alignment_target_item_id'), 'outcome_alignment', ['target_item_id'], unique=False)
    op.create_table('outcome_evidence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('student_id', sa.Integer(), nullable=False),
    sa.Column('engagement_id', sa.Integer(), nullable=True),
    sa.Column('course_id', sa.Integer(), nullable=True),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('item_version_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.Integer(), nullable=True),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('method', sa.String(length=32), nullable=False),
    sa.Column('rater', sa.String(length=255), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('observed_at', sa.DateTime(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.Column('origin', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_outcome_evidence_course_id_course')),
    sa.ForeignKeyConstraint(['engagement_id'], ['engagement.id'], name=op.f('fk_outcome_evidence_engagement_id_engagement')),
    sa.ForeignKeyConstraint(['item_id'], ['outcome_item.id'], name=op.f('fk_outcome_evidence_item_id_outcome_item')),
    sa.ForeignKeyConstraint(['item_version_id'], ['outcome_item_version.id'], name=op.f('fk_outcome_evidence_item_version_id_outcome_item_version')),
    sa.ForeignKeyConstraint(['student_id'], ['lti_user.id'], name=op.f('fk_outcome_evidence_student_id_lti_user')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_outcome_evidence_tenant_id_tenant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outcome_evidence')),
    sa.UniqueConstraint('tenant_id', 'origin', name=op.f('uq_outcome_evidence_tenant_id_origin'))
    )
    op.create_index(op.f('ix_outcome_evidence_engagement_id'), 'outcome_evidence', ['engagement_id'], unique=False)
    op.create_index('ix_outcome_evidence_tenant_item', 'outcome_evidence', ['tenant_id', 'item_id', 'observed_at'], unique=False)
    op.create_index('ix_outcome_evidence_tenant_student', 'outcome_evidence', ['tenant_id', 'student_id'], unique=False)
    op.create_table('canvas_authorization',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('canvas_url', sa.String(length=500), nullable=False),
    sa.Column('access_token', sa.Text(), nullable=False),
    sa.Column('refresh_token', sa.Text(), nullable=True),
    sa.Column('expires_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['registration_id'], ['registration.id'], name=op.f('fk_canvas_authorization_registration_id_registration'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_canvas_authorization_tenant_id_tenant')),
    sa.ForeignKeyConstraint(['user_id'], ['lti_user.id'], name=op.f('fk_canvas_authorization_user_id_lti_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_canvas_authorization')),
    sa.UniqueConstraint('registration_id', 'user_id', name=op.f('uq_canvas_authorization_registration_id_user_id'))
    )
    op.create_index(op.f('ix_canvas_authorization_tenant_id'), 'canvas_authorization', ['tenant_id'], unique=False)
    op.create_table('connector_credentials',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('canvas_url', sa.String(length=500), nullable=True),
    sa.Column('canvas_oauth_client_id', sa.String(length=255), nullable=True),
    sa.Column('canvas_oauth_client_secret', sa.Text(), nullable=True),
    sa.Column('moodle_url', sa.String(length=500), nullable=True),
    sa.Column('moodle_ws_token', sa.Text(), nullable=True),
    sa.Column('updated_by', sa.String(length=255), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['registration_id'], ['registration.id'], name=op.f('fk_connector_credentials_registration_id_registration'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_connector_credentials_tenant_id_tenant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_connector_credentials')),
    sa.UniqueConstraint('registration_id', name=op.f('uq_connector_credentials_registration_id'))
    )
    op.create_index(op.f('ix_connector_credentials_tenant_id'), 'connector_credentials', ['tenant_id'], unique=False)


def downgrade():
    op.drop_index('ix_outcome_evidence_tenant_student', table_name='outcome_evidence')
    op.drop_index('ix_outcome_evidence_tenant_item', table_name='outcome_evidence')
    op.drop_index(op.f('ix_outcome_evidence_engagement_id'), table_name='outcome_evidence')
    op.drop_table('outcome_evidence')
    op.drop_index(op.f('ix_outcome_alignment_target_item_id'), table_name='outcome_alignment')
    op.drop_index(op.f('ix_outcome_alignment_course_id'), table_name='outcome_alignment')
    op.drop_index(op.f('ix_outcome_alignment_tenant_id'), table_name='outcome_alignment')
    op.drop_table('outcome_alignment')
    op.drop_index(op.f('ix_connector_credentials_tenant_id'), table_name='connector_credentials')
    op.drop_table('connector_credentials')
    op.drop_index(op.f('ix_canvas_authorization_tenant_id'), table_name='canvas_authorization')
    op.drop_table('canvas_authorization')
    op.drop_index(op.f('ix_outcome_item_version_tenant_id'), table_name='outcome_item_version')
    op.drop_table('outcome_item_version')
    op.drop_index(op.f('ix_outcome_item_tenant_id'), table_name='outcome_item')
    op.drop_table('outcome_item')
    op.drop_index(op.f('ix_outcome_framework_tenant_id'), table_name='outcome_framework')
    op.drop_table('outcome_framework')
