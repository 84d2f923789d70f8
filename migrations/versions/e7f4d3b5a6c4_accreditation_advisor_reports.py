"""accreditation: advisor notes, shared progress reports, reporting indexes

Revision ID: e7f4d3b5a6c4
Revises: d6e3c2a4f5b3
Create Date: 2026-11-26 10:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e7f4d3b5a6c4'
down_revision = 'd6e3c2a4f5b3'
branch_labels = None
depends_on = None


TRIGRAM_INDEXES = {
    "ix_lti_user_name_trgm": "lower(name)",
    "ix_lti_user_email_trgm": "lower(email)",
}


def _trigram_indexes():
    """PostgreSQL: trigram indexes so the advisor's name/email search (a substring match) does
    not read every person of the tenant. pg_trgm is a trusted extension (a database owner may
    create it); where it cannot be created the search still works, by a scan."""
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    try:
        with bind.begin_nested():
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except sa.exc.DBAPIError:
        return
    for name, expression in TRIGRAM_INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON lti_user USING gin ({expression} gin_trgm_ops)")


def upgrade():
    op.create_table('advisor_note',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('student_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('author', sa.String(length=255), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('follow_up_on', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['lti_user.id'], name=op.f('fk_advisor_note_author_id_lti_user')),
    sa.ForeignKeyConstraint(['student_id'], ['lti_user.id'], name=op.f('fk_advisor_note_student_id_lti_user')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_advisor_note_tenant_id_tenant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_advisor_note'))
    )
    op.create_index('ix_advisor_note_tenant_student', 'advisor_note', ['tenant_id', 'student_id'], unique=False)
    op.create_table('report_share',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('student_id', sa.Integer(), nullable=False),
    sa.Column('shared_by', sa.String(length=255), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['student_id'], ['lti_user.id'], name=op.f('fk_report_share_student_id_lti_user')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_report_share_tenant_id_tenant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_share'))
    )
    op.create_index('ix_report_share_tenant_student', 'report_share', ['tenant_id', 'student_id'], unique=False)
    op.create_index('ix_hour_log_tenant_status_date', 'hour_log', ['tenant_id', 'status', 'work_date', 'minutes'], unique=False)
    op.create_index('ix_hour_log_engagement_date', 'hour_log', ['engagement_id', 'work_date', 'status', 'minutes'], unique=False)
    op.create_index('ix_engagement_tenant_status', 'engagement', ['tenant_id', 'status', 'id'], unique=False)
    op.create_index('ix_engagement_tenant_listing', 'engagement', ['tenant_id', 'listing_id'], unique=False)
    op.create_index('ix_application_tenant_created', 'application', ['tenant_id', 'created_at'], unique=False)
    op.create_index('ix_student_profile_tenant_program', 'student_profile', ['tenant_id', 'program'], unique=False)
    _trigram_indexes()


def downgrade():
    for name in TRIGRAM_INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
    op.drop_index('ix_student_profile_tenant_program', table_name='student_profile')
    op.drop_index('ix_application_tenant_created', table_name='application')
    op.drop_index('ix_engagement_tenant_listing', table_name='engagement')
    op.drop_index('ix_engagement_tenant_status', table_name='engagement')
    op.drop_index('ix_hour_log_engagement_date', table_name='hour_log')
    op.drop_index('ix_hour_log_tenant_status_date', table_name='hour_log')
    op.drop_index('ix_report_share_tenant_student', table_name='report_share')
    op.drop_table('report_share')
    op.drop_index('ix_advisor_note_tenant_student', table_name='advisor_note')
    op.drop_table('advisor_note')
