"""internships: employer invitations, course pins, import jobs, CPT approvals, course caps

Revision ID: b4c1a0e2d3f1
Revises: 9586b7138621
Create Date: 2026-11-26 10:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b4c1a0e2d3f1'
down_revision = '9586b7138621'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('employer_invitation',
    sa.Column('jti', sa.String(length=64), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('employer_id', sa.Integer(), nullable=True),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('issued_by', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.Column('listing_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['employer_id'], ['employer.id'], name=op.f('fk_employer_invitation_employer_id_employer')),
    sa.ForeignKeyConstraint(['listing_id'], ['listing.id'], name=op.f('fk_employer_invitation_listing_id_listing')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_employer_invitation_tenant_id_tenant')),
    sa.PrimaryKeyConstraint('jti', name=op.f('pk_employer_invitation'))
    )
    op.create_index(op.f('ix_employer_invitation_tenant_id'), 'employer_invitation', ['tenant_id'], unique=False)
    op.create_table('course_pin',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('listing_id', sa.Integer(), nullable=False),
    sa.Column('pinned_by', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_course_pin_course_id_course')),
    sa.ForeignKeyConstraint(['listing_id'], ['listing.id'], name=op.f('fk_course_pin_listing_id_listing'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_course_pin_tenant_id_tenant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_course_pin')),
    sa.UniqueConstraint('course_id', 'listing_id', name=op.f('uq_course_pin_course_id_listing_id'))
    )
    op.create_index(op.f('ix_course_pin_tenant_id'), 'course_pin', ['tenant_id'], unique=False)
    op.create_table('import_job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('processed', sa.Integer(), nullable=False),
    sa.Column('created', sa.Integer(), nullable=False),
    sa.Column('updated', sa.Integer(), nullable=False),
    sa.Column('unchanged', sa.Integer(), nullable=False),
    sa.Column('rejected', sa.Integer(), nullable=False),
    sa.Column('results', sa.JSON(), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('actor', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('heartbeat_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_import_job_tenant_id_tenant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_job'))
    )
    op.create_index('ix_import_job_tenant_created', 'import_job', ['tenant_id', 'created_at'], unique=False)
    op.create_table('cpt_approval',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('student_id', sa.Integer(), nullable=False),
    sa.Column('employer_id', sa.Integer(), nullable=False),
    sa.Column('listing_id', sa.Integer(), nullable=True),
    sa.Column('engagement_id', sa.Integer(), nullable=True),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=False),
    sa.Column('dso_name', sa.String(length=200), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('recorded_by', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.Column('revoked_by', sa.String(length=255), nullable=True),
    sa.ForeignKeyConstraint(['employer_id'], ['employer.id'], name=op.f('fk_cpt_approval_employer_id_employer')),
    sa.ForeignKeyConstraint(['engagement_id'], ['engagement.id'], name=op.f('fk_cpt_approval_engagement_id_engagement')),
    sa.ForeignKeyConstraint(['listing_id'], ['listing.id'], name=op.f('fk_cpt_approval_listing_id_listing')),
    sa.ForeignKeyConstraint(['student_id'], ['lti_user.id'], name=op.f('fk_cpt_approval_student_id_lti_user')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_cpt_approval_tenant_id_tenant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cpt_approval'))
    )
    op.create_index('ix_cpt_approval_tenant_student', 'cpt_approval', ['tenant_id', 'student_id'], unique=False)
    op.create_table('course_workload_cap',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('max_concurrent', sa.Integer(), nullable=True),
    sa.Column('max_weekly_hours', sa.Integer(), nullable=True),
    sa.Column('updated_by', sa.String(length=255), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_course_workload_cap_course_id_course')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_course_workload_cap_tenant_id_tenant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_course_workload_cap')),
    sa.UniqueConstraint('course_id', name=op.f('uq_course_workload_cap_course_id'))
    )
    op.create_index(op.f('ix_course_workload_cap_tenant_id'), 'course_workload_cap', ['tenant_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_course_workload_cap_tenant_id'), table_name='course_workload_cap')
    op.drop_table('course_workload_cap')
    op.drop_index('ix_cpt_approval_tenant_student', table_name='cpt_approval')
    op.drop_table('cpt_approval')
    op.drop_index('ix_import_job_tenant_created', table_name='import_job')
    op.drop_table('import_job')
    op.drop_index(op.f('ix_course_pin_tenant_id'), table_name='course_pin')
    op.drop_table('course_pin')
    op.drop_index(op.f('ix_employer_invitation_tenant_id'), table_name='employer_invitation')
    op.drop_table('employer_invitation')
