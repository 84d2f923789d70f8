"""internships: employers and listings

Revision ID: 167694002415
Revises: ed78ca33fd2f
Create Date: 2026-11-26 08:03:06.121439

The full-text index is written by hand (autogenerate skips it, see
``lti_tool.extensions.include_in_migrations``): on SQLite an FTS5 table over
``listing.search_title``/``search_body`` kept in step by triggers, on PostgreSQL a GIN index on
``to_tsvector('english', search_title || ' ' || search_body)``. The matching rules are in
``internships/services/search.py`` and ``docs/search.md``.

A later SQLite batch migration that recreates ``listing`` drops the triggers: recreate them
(and run ``INSERT INTO listing_fts(listing_fts) VALUES ('rebuild')``) in that migration.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '167694002415'
down_revision = 'ed78ca33fd2f'
branch_labels = None
depends_on = None

SQLITE_FTS = (
    "CREATE VIRTUAL TABLE listing_fts USING fts5(search_title, search_body, "
    "content='listing', content_rowid='id', "
    "tokenize='porter unicode61 remove_diacritics 0')",
    "CREATE TRIGGER listing_fts_ai AFTER INSERT ON listing BEGIN "
    "INSERT INTO listing_fts(rowid, search_title, search_body) "
    "VALUES (new.id, new.search_title, new.search_body); END",
    "CREATE TRIGGER listing_fts_ad AFTER DELETE ON listing BEGIN "
    "INSERT INTO listing_fts(listing_fts, rowid, search_title, search_body) "
    "VALUES ('delete', old.id, old.search_title, old.search_body); END",
    "CREATE TRIGGER listing_fts_au AFTER UPDATE OF search_title, search_body ON listing BEGIN "
    "INSERT INTO listing_fts(listing_fts, rowid, search_title, search_body) "
    "VALUES ('delete', old.id, old.search_title, old.search_body); "
    "INSERT INTO listing_fts(rowid, search_title, search_body) "
    "VALUES (new.id, new.search_title, new.search_body); END",
)
POSTGRESQL_FTS = (
    "CREATE INDEX ix_listing_search_fts ON listing "
    "USING gin (to_tsvector('english', search_title || ' ' || search_body))",
)


def upgrade():
    op.create_table('employer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('website', sa.String(length=500), nullable=False),
    sa.Column('contact_name', sa.String(length=200), nullable=False),
    sa.Column('contact_email', sa.String(length=320), nullable=False),
    sa.Column('verified', sa.Boolean(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_employer_tenant_id_tenant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_employer')),
    sa.UniqueConstraint('tenant_id', 'name', name=op.f('uq_employer_tenant_id_name'))
    )
    op.create_table('listing',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('employer_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.String(length=500), nullable=False),
    sa.Column('description_md', sa.Text(), nullable=False),
    sa.Column('deliverables', sa.Text(), nullable=False),
    sa.Column('skills', sa.JSON(), nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('competencies', sa.JSON(), nullable=False),
    sa.Column('estimated_hours', sa.Integer(), nullable=False),
    sa.Column('application_deadline', sa.Date(), nullable=True),
    sa.Column('work_start', sa.Date(), nullable=True),
    sa.Column('work_end', sa.Date(), nullable=True),
    sa.Column('compensation_type', sa.String(length=16), nullable=False),
    sa.Column('pay_amount_cents', sa.Integer(), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('effective_rate_cents', sa.Integer(), nullable=False),
    sa.Column('location_type', sa.String(length=16), nullable=False),
    sa.Column('location', sa.String(length=200), nullable=False),
    sa.Column('openings', sa.Integer(), nullable=False),
    sa.Column('eligibility', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('approved_by', sa.String(length=255), nullable=True),
    sa.Column('approved_at', sa.DateTime(), nullable=True),
    sa.Column('approval_note', sa.Text(), nullable=False),
    sa.Column('unpaid_justification', sa.JSON(), nullable=True),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('external_id', sa.String(length=255), nullable=True),
    sa.Column('created_by', sa.String(length=255), nullable=False),
    sa.Column('search_title', sa.Text(), nullable=False),
    sa.Column('search_body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['employer_id'], ['employer.id'], name=op.f('fk_listing_employer_id_employer')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_listing_tenant_id_tenant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_listing')),
    sa.UniqueConstraint('tenant_id', 'source', 'external_id', name=op.f('uq_listing_tenant_id_source_external_id'))
    )
    with op.batch_alter_table('listing', schema=None) as batch_op:
        batch_op.create_index('ix_listing_board', ['tenant_id', 'status', 'application_deadline'], unique=False)
        batch_op.create_index(batch_op.f('ix_listing_employer_id'), ['employer_id'], unique=False)

    op.create_table('listing_facet',
    sa.Column('listing_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('value', sa.String(length=64), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['listing_id'], ['listing.id'], name=op.f('fk_listing_facet_listing_id_listing'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_listing_facet_tenant_id_tenant')),
    sa.PrimaryKeyConstraint('listing_id', 'kind', 'value', name=op.f('pk_listing_facet'))
    )
    with op.batch_alter_table('listing_facet', schema=None) as batch_op:
        batch_op.create_index('ix_listing_facet_lookup', ['tenant_id', 'kind', 'value'], unique=False)

    dialect = op.get_bind().dialect.name
    for statement in {"sqlite": SQLITE_FTS, "postgresql": POSTGRESQL_FTS}.get(dialect, ()):
        op.execute(statement)


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for trigger in ("listing_fts_ai", "listing_fts_ad", "listing_fts_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS listing_fts")
    elif dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_listing_search_fts")
    with op.batch_alter_table('listing_facet', schema=None) as batch_op:
        batch_op.drop_index('ix_listing_facet_lookup')

    op.drop_table('listing_facet')
    with op.batch_alter_table('listing', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_listing_employer_id'))
        batch_op.drop_index('ix_listing_board')

    op.drop_table('listing')
    op.drop_table('employer')
