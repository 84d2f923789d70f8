"""credit: the course's credit column as read from the LMS, and misposted grades to repair

Revision ID: a1f2e3d4c5b6
Revises: c2d3e4f5a6b7
Create Date: 2026-12-05 04:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'a1f2e3d4c5b6'
down_revision = 'c2d3e4f5a6b7'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('credit_policy', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lineitem_label', sa.String(length=500), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('lineitem_maximum', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('lineitems_url', sa.String(length=1000), nullable=True))
        batch_op.add_column(sa.Column('lineitem_registration_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('lineitem_others', sa.Integer(), nullable=False, server_default='0'))
        batch_op.create_foreign_key(batch_op.f('fk_credit_policy_lineitem_registration_id_registration'), 'registration', ['lineitem_registration_id'], ['id'])
    with op.batch_alter_table('credit_policy', schema=None) as batch_op:
        batch_op.alter_column('lineitem_label', server_default=None)
        batch_op.alter_column('lineitem_others', server_default=None)
    op.create_table('credit_misposted_grade',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('award_id', sa.Integer(), nullable=False),
    sa.Column('student_id', sa.Integer(), nullable=False),
    sa.Column('lineitem_url', sa.String(length=1000), nullable=False),
    sa.Column('column_label', sa.String(length=500), nullable=False),
    sa.Column('column_maximum', sa.Float(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('grade_label', sa.String(length=32), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('found_at', sa.DateTime(), nullable=False),
    sa.Column('found_by', sa.String(length=255), nullable=False),
    sa.Column('reposted_at', sa.DateTime(), nullable=True),
    sa.Column('reposted_to', sa.String(length=1000), nullable=True),
    sa.Column('reposted_by', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['award_id'], ['credit_award.id'], name=op.f('fk_credit_misposted_grade_award_id_credit_award')),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_credit_misposted_grade_course_id_course')),
    sa.ForeignKeyConstraint(['student_id'], ['lti_user.id'], name=op.f('fk_credit_misposted_grade_student_id_lti_user')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_credit_misposted_grade_tenant_id_tenant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_misposted_grade')),
    sa.UniqueConstraint('award_id', 'lineitem_url', name=op.f('uq_credit_misposted_grade_award_id_lineitem_url'))
    )
    op.create_index('ix_credit_misposted_grade_tenant_course', 'credit_misposted_grade', ['tenant_id', 'course_id'], unique=False)
    op.create_index(op.f('ix_credit_misposted_grade_student_id'), 'credit_misposted_grade', ['student_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_credit_misposted_grade_student_id'), table_name='credit_misposted_grade')
    op.drop_index('ix_credit_misposted_grade_tenant_course', table_name='credit_misposted_grade')
    op.drop_table('credit_misposted_grade')
    with op.batch_alter_table('credit_policy', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_credit_policy_lineitem_registration_id_registration'), type_='foreignkey')
        batch_op.drop_column('lineitem_others')
        batch_op.drop_column('lineitem_registration_id')
        batch_op.drop_column('lineitems_url')
        batch_op.drop_column('lineitem_maximum')
        batch_op.drop_column('lineitem_label')
