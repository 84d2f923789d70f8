"""core: identities and courses per LMS — keyed by (tenant, issuer, sub / context id) — and
administrator-made identity links

Revision ID: d0e1f2a3b4c5
Revises: c9d0e1f2a3b4
Create Date: 2026-12-05 06:00:00

Existing people and courses take the issuer of the registration of their earliest launch (the
one that created the row); rows with no launch left take the tenant's issuer when the tenant has
exactly one, and an empty issuer otherwise (no LMS will ever launch as them again: an
administrator can still find, export or erase them).
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'd0e1f2a3b4c5'
down_revision = 'c9d0e1f2a3b4'
branch_labels = None
depends_on = None

_ONLY_ISSUER = (
    "(SELECT CASE WHEN COUNT(DISTINCT r.issuer) = 1 THEN MIN(r.issuer) END"
    " FROM registration r WHERE r.tenant_id = {table}.tenant_id)"
)
_FIRST_LAUNCH_ISSUER = (
    "(SELECT r.issuer FROM launch l JOIN registration r ON r.id = l.registration_id"
    " WHERE l.{column} = {table}.id AND r.tenant_id = {table}.tenant_id"
    " ORDER BY l.created_at, l.id LIMIT 1)"
)


def _fill(table, column):
    op.execute(
        f"UPDATE {table} SET issuer = COALESCE("
        f"{_FIRST_LAUNCH_ISSUER.format(table=table, column=column)}, "
        f"{_ONLY_ISSUER.format(table=table)}, '')"
    )


def upgrade():
    for table in ('lti_user', 'course'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column('issuer', sa.String(length=500), nullable=False, server_default='')
            )
    _fill('lti_user', 'user_id')
    _fill('course', 'course_id')
    sqlite = op.get_bind().dialect.name == 'sqlite'
    if sqlite:
        # Batch mode copies lti_user and course into new tables (same ids) and drops the old
        # ones, which SQLite refuses while rows point at them and foreign keys are on; the
        # pragma only changes outside a transaction.
        with op.get_context().autocommit_block():
            op.execute('PRAGMA foreign_keys = OFF')
    with op.batch_alter_table('lti_user', schema=None) as batch_op:
        batch_op.alter_column('issuer', server_default=None)
        batch_op.drop_constraint('uq_lti_user_tenant_id_sub', type_='unique')
        batch_op.create_unique_constraint(
            batch_op.f('uq_lti_user_tenant_id_issuer_sub'), ['tenant_id', 'issuer', 'sub']
        )
    with op.batch_alter_table('course', schema=None) as batch_op:
        batch_op.alter_column('issuer', server_default=None)
        batch_op.drop_constraint('uq_course_tenant_id_context_id', type_='unique')
        batch_op.create_unique_constraint(
            batch_op.f('uq_course_tenant_id_issuer_context_id'),
            ['tenant_id', 'issuer', 'context_id'],
        )
    if sqlite:
        with op.get_context().autocommit_block():
            op.execute('PRAGMA foreign_keys = ON')
    op.create_table('identity_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('primary_user_id', sa.Integer(), nullable=True),
    sa.Column('linked_by', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['primary_user_id'], ['lti_user.id'], name=op.f('fk_identity_link_primary_user_id_lti_user')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_identity_link_tenant_id_tenant')),
    sa.ForeignKeyConstraint(['user_id'], ['lti_user.id'], name=op.f('fk_identity_link_user_id_lti_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_identity_link')),
    sa.UniqueConstraint('user_id', name=op.f('uq_identity_link_user_id'))
    )
    op.create_index(op.f('ix_identity_link_tenant_id'), 'identity_link', ['tenant_id'], unique=False)
    op.create_index(op.f('ix_identity_link_primary_user_id'), 'identity_link', ['primary_user_id'], unique=False)


def downgrade():
    # Refused by the database when two LMSs of a tenant already share a sub or context id:
    # those identities cannot be merged back into one row without losing whose data is whose.
    op.drop_index(op.f('ix_identity_link_primary_user_id'), table_name='identity_link')
    op.drop_index(op.f('ix_identity_link_tenant_id'), table_name='identity_link')
    op.drop_table('identity_link')
    with op.batch_alter_table('course', schema=None) as batch_op:
        batch_op.drop_constraint('uq_course_tenant_id_issuer_context_id', type_='unique')
        batch_op.create_unique_constraint('uq_course_tenant_id_context_id', ['tenant_id', 'context_id'])
        batch_op.drop_column('issuer')
    with op.batch_alter_table('lti_user', schema=None) as batch_op:
        batch_op.drop_constraint('uq_lti_user_tenant_id_issuer_sub', type_='unique')
        batch_op.create_unique_constraint('uq_lti_user_tenant_id_sub', ['tenant_id', 'sub'])
        batch_op.drop_column('issuer')
