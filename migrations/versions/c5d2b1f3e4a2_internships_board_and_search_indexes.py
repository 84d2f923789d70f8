"""internships: board and search indexes for large boards

Revision ID: c5d2b1f3e4a2
Revises: b4c1a0e2d3f1
Create Date: 2026-11-26 11:00:00.000000

Measured with ``benchmarks/listings.py`` (50,000 listings; see ``docs/search.md``):

- ``ix_listing_board`` gains ``id``: the board's order (deadline, then id; listings without a
  deadline after, by id) becomes index order on both engines, so a page of a common word
  reads its first rows in order instead of sorting every match.
- ``ix_listing_facet_lookup`` gains ``listing_id``: skill and competency filters (and the
  "For you" skill candidates) read the index alone.
- ``search_title_vector`` with a GIN index (PostgreSQL only; like ``search_vector`` not a model
  attribute): the title's words alone, so "Best match"'s title group reads the listings whose
  titles hold the words instead of rechecking the weights of every listing whose text holds
  them. SQLite's FTS5 table already indexes the title as a column.

Plain index changes (no batch mode: rebuilding ``listing`` on SQLite would drop its FTS
triggers).
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'c5d2b1f3e4a2'
down_revision = 'b4c1a0e2d3f1'
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index('ix_listing_board', table_name='listing')
    op.create_index('ix_listing_board', 'listing', ['tenant_id', 'status', 'application_deadline', 'id'], unique=False)
    op.drop_index('ix_listing_facet_lookup', table_name='listing_facet')
    op.create_index('ix_listing_facet_lookup', 'listing_facet', ['tenant_id', 'kind', 'value', 'listing_id'], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "ALTER TABLE listing ADD COLUMN search_title_vector tsvector "
            "GENERATED ALWAYS AS (to_tsvector('english', search_title)) STORED"
        )
        op.execute(
            "CREATE INDEX ix_listing_search_title_vector ON listing "
            "USING gin (search_title_vector)"
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_listing_search_title_vector")
        op.execute("ALTER TABLE listing DROP COLUMN IF EXISTS search_title_vector")
    op.drop_index('ix_listing_facet_lookup', table_name='listing_facet')
    op.create_index('ix_listing_facet_lookup', 'listing_facet', ['tenant_id', 'kind', 'value'], unique=False)
    op.drop_index('ix_listing_board', table_name='listing')
    op.create_index('ix_listing_board', 'listing', ['tenant_id', 'status', 'application_deadline'], unique=False)
