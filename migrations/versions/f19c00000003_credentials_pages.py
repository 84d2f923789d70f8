"""credentials: the student's portfolio, its projects, and the supervisor's consent to share
their evaluation as a recommendation

Revision ID: f19c00000003
Revises: f19b00000002
Create Date: 2026-12-05 23:45:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f19c00000003'
down_revision = "f19b00000002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('portfolio',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('student_id', sa.Integer(), nullable=False),
    sa.Column('headline', sa.String(length=200), nullable=False),
    sa.Column('introduction', sa.Text(), nullable=False),
    sa.Column('token', sa.Text(), nullable=True),
    sa.Column('token_hash', sa.String(length=64), nullable=True),
    sa.Column('published_at', sa.DateTime(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['student_id'], ['lti_user.id'], name=op.f('fk_portfolio_student_id_lti_user')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_portfolio_tenant_id_tenant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_portfolio')),
    sa.UniqueConstraint('tenant_id', 'student_id', name=op.f('uq_portfolio_tenant_id_student_id')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_portfolio_token_hash'))
    )
    op.create_index(op.f('ix_portfolio_student_id'), 'portfolio', ['student_id'], unique=False)
    op.create_table('portfolio_project',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('portfolio_id', sa.Integer(), nullable=False),
    sa.Column('engagement_id', sa.Integer(), nullable=False),
    sa.Column('deliverable_ids', sa.JSON(), nullable=False),
    sa.Column('show_credential', sa.Boolean(), nullable=False),
    sa.Column('show_recommendation', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['engagement_id'], ['engagement.id'], name=op.f('fk_portfolio_project_engagement_id_engagement'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['portfolio_id'], ['portfolio.id'], name=op.f('fk_portfolio_project_portfolio_id_portfolio'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_portfolio_project_tenant_id_tenant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_portfolio_project')),
    sa.UniqueConstraint('portfolio_id', 'engagement_id', name=op.f('uq_portfolio_project_portfolio_id_engagement_id'))
    )
    op.create_index(op.f('ix_portfolio_project_engagement_id'), 'portfolio_project', ['engagement_id'], unique=False)
    op.create_index(op.f('ix_portfolio_project_portfolio_id'), 'portfolio_project', ['portfolio_id'], unique=False)
    op.create_table('recommendation_consent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('engagement_id', sa.Integer(), nullable=False),
    sa.Column('agreed', sa.Boolean(), nullable=False),
    sa.Column('decided_by', sa.String(length=255), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['engagement_id'], ['engagement.id'], name=op.f('fk_recommendation_consent_engagement_id_engagement'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_recommendation_consent_tenant_id_tenant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recommendation_consent')),
    sa.UniqueConstraint('engagement_id', name=op.f('uq_recommendation_consent_engagement_id'))
    )


def downgrade():
    op.drop_table('recommendation_consent')
    op.drop_index(op.f('ix_portfolio_project_portfolio_id'), table_name='portfolio_project')
    op.drop_index(op.f('ix_portfolio_project_engagement_id'), table_name='portfolio_project')
    op.drop_table('portfolio_project')
    op.drop_index(op.f('ix_portfolio_student_id'), table_name='portfolio')
    op.drop_table('portfolio')
