"""registration invitations

Revision ID: 38d62d58a19c
Revises: 167694002415
Create Date: 2026-11-26 08:05:25.605518

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '38d62d58a19c'
down_revision = '167694002415'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('registration_invitation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=True),
    sa.Column('new_tenant_name', sa.String(length=200), nullable=True),
    sa.Column('created_by', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.Column('registration_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['registration_id'], ['registration.id'], name=op.f('fk_registration_invitation_registration_id_registration'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_registration_invitation_tenant_id_tenant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_registration_invitation')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_registration_invitation_token_hash'))
    )


def downgrade():
    op.drop_table('registration_invitation')
