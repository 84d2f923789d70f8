"""accreditation: the Canvas rubric each course's outcome ratings are written back through

Revision ID: b1c2d3e4f5a6
Revises: a9b6f5d7c8e6
Create Date: 2026-11-26 11:35:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b1c2d3e4f5a6'
down_revision = 'a9b6f5d7c8e6'
branch_labels = None
# course and tenant tables come before; nothing of the frameworks migration is referenced
depends_on = None


def upgrade():
    op.create_table('writeback_canvas_rubric',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('canvas_course_id', sa.String(length=32), nullable=False),
    sa.Column('assignment_id', sa.String(length=32), nullable=False),
    sa.Column('rubric_id', sa.String(length=32), nullable=False),
    sa.Column('association_id', sa.String(length=32), nullable=False),
    sa.Column('criteria', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_writeback_canvas_rubric_course_id_course')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_writeback_canvas_rubric_tenant_id_tenant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_writeback_canvas_rubric')),
    sa.UniqueConstraint('tenant_id', 'course_id', name=op.f('uq_writeback_canvas_rubric_tenant_id_course_id'))
    )


def downgrade():
    op.drop_table('writeback_canvas_rubric')
