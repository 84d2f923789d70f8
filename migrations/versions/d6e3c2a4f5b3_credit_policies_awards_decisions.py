"""credit: policies, awards, decisions

Revision ID: d6e3c2a4f5b3
Revises: c5d2b1f3e4a2
Create Date: 2026-11-26 10:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd6e3c2a4f5b3'
down_revision = 'c5d2b1f3e4a2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('credit_policy',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('hours_per_credit', sa.Integer(), nullable=False),
    sa.Column('max_credits', sa.Integer(), nullable=False),
    sa.Column('allow_stacking', sa.Boolean(), nullable=False),
    sa.Column('require_agreement', sa.Boolean(), nullable=False),
    sa.Column('require_evaluation', sa.Boolean(), nullable=False),
    sa.Column('require_reflection', sa.Boolean(), nullable=False),
    sa.Column('min_rating', sa.Integer(), nullable=True),
    sa.Column('grading_mode', sa.String(length=16), nullable=False),
    sa.Column('points_possible', sa.Integer(), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=True),
    sa.Column('approval_chain', sa.String(length=32), nullable=False),
    sa.Column('second_approver', sa.String(length=16), nullable=False),
    sa.Column('lineitem_url', sa.String(length=1000), nullable=True),
    sa.Column('updated_by', sa.String(length=255), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_credit_policy_course_id_course')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_credit_policy_tenant_id_tenant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_policy')),
    sa.UniqueConstraint('course_id', name=op.f('uq_credit_policy_course_id'))
    )
    op.create_index(op.f('ix_credit_policy_tenant_id'), 'credit_policy', ['tenant_id'], unique=False)
    op.create_table('credit_award',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('student_id', sa.Integer(), nullable=False),
    sa.Column('credits', sa.Integer(), nullable=False),
    sa.Column('approved_minutes', sa.Integer(), nullable=False),
    sa.Column('grading_mode', sa.String(length=16), nullable=False),
    sa.Column('score_given', sa.Float(), nullable=False),
    sa.Column('score_maximum', sa.Float(), nullable=False),
    sa.Column('grade_label', sa.String(length=32), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('engagement_ids', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('decided_by', sa.String(length=255), nullable=False),
    sa.Column('decided_by_user_id', sa.Integer(), nullable=True),
    sa.Column('approved_by', sa.String(length=255), nullable=True),
    sa.Column('approved_by_user_id', sa.Integer(), nullable=True),
    sa.Column('approved_at', sa.DateTime(), nullable=True),
    sa.Column('decline_reason', sa.Text(), nullable=False),
    sa.Column('supersedes_id', sa.Integer(), nullable=True),
    sa.Column('superseded_by_id', sa.Integer(), nullable=True),
    sa.Column('superseded_at', sa.DateTime(), nullable=True),
    sa.Column('idempotency_key', sa.String(length=64), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=True),
    sa.Column('lineitem_url', sa.String(length=1000), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_credit_award_course_id_course')),
    sa.ForeignKeyConstraint(['registration_id'], ['registration.id'], name=op.f('fk_credit_award_registration_id_registration')),
    sa.ForeignKeyConstraint(['student_id'], ['lti_user.id'], name=op.f('fk_credit_award_student_id_lti_user')),
    sa.ForeignKeyConstraint(['superseded_by_id'], ['credit_award.id'], name=op.f('fk_credit_award_superseded_by_id_credit_award')),
    sa.ForeignKeyConstraint(['supersedes_id'], ['credit_award.id'], name=op.f('fk_credit_award_supersedes_id_credit_award')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_credit_award_tenant_id_tenant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_award')),
    sa.UniqueConstraint('tenant_id', 'idempotency_key', name=op.f('uq_credit_award_tenant_id_idempotency_key'))
    )
    op.create_index(op.f('ix_credit_award_student_id'), 'credit_award', ['student_id'], unique=False)
    op.create_index('ix_credit_award_tenant_course', 'credit_award', ['tenant_id', 'course_id'], unique=False)
    op.create_index(
        'uq_credit_award_current', 'credit_award', ['course_id', 'student_id'], unique=True,
        sqlite_where=sa.text("superseded_at IS NULL AND status != 'declined'"),
        postgresql_where=sa.text("superseded_at IS NULL AND status != 'declined'"),
    )
    op.create_table('credit_decision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('student_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('decided_by', sa.String(length=255), nullable=False),
    sa.Column('decided_by_user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_credit_decision_course_id_course')),
    sa.ForeignKeyConstraint(['student_id'], ['lti_user.id'], name=op.f('fk_credit_decision_student_id_lti_user')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_credit_decision_tenant_id_tenant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_decision'))
    )
    op.create_index('ix_credit_decision_course_student', 'credit_decision', ['course_id', 'student_id'], unique=False)
    op.create_index(op.f('ix_credit_decision_tenant_id'), 'credit_decision', ['tenant_id'], unique=False)


def downgrade():
    op.drop_table('credit_decision')
    op.drop_index('uq_credit_award_current', table_name='credit_award')
    op.drop_table('credit_award')
    op.drop_table('credit_policy')
