"""internships: the listing's skills, competencies, place and pay as one array with a GIN index
on PostgreSQL, and an index for each of the board's other sorts (issue 16)

Revision ID: f16c0000000c
Revises: f16b0000000b
Create Date: 2026-12-06

At a state system's size (250,000 listings) a board search with a common word and a
competency read each word match from the heap to join it to the competency's whole id list
(62,000 rows hashed), and read the place and pay from the heap too: 12,700 heap pages for a
capped count. A stored generated ``facets`` array ("s:<skill id>", "c:<competency>",
"place:<location type>", "pay:paid" or "pay:unpaid") with a GIN index lets PostgreSQL AND the
word's bitmap with the facets' before it reads a heap page (1,260 pages for that count). The
``listing_facet`` rows stay: SQLite's board and other readers use them. SQLite is unchanged.
The column is not a model attribute (see ``internships.models``' unmanaged names).

The board's "Newest first", "Hourly pay" and "Hours" sorted every open listing of the tenant
(200-250 ms a page at 250,000 listings); an index per sort, (tenant, status, the sort's column,
id), is read in order (backwards for the two descending ones), 1-4 ms. Both engines.
"""

from __future__ import annotations

from alembic import op

revision = "f16c0000000c"
down_revision = "f16b0000000b"
branch_labels = None
depends_on = None

FUNCTION = """
CREATE FUNCTION listing_board_facets(skills json, competencies json, place text, pay text)
RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog
AS $$
  SELECT coalesce(array_agg(k), '{}') || ARRAY[
    'place:' || coalesce(place, ''),
    CASE WHEN pay = 'unpaid' THEN 'pay:unpaid' ELSE 'pay:paid' END
  ] FROM (
    SELECT 's:' || v AS k FROM json_array_elements_text(coalesce(skills, '[]'::json)) v
    UNION ALL
    SELECT 'c:' || v FROM json_array_elements_text(coalesce(competencies, '[]'::json)) v
  ) facet
$$
"""


SORTS = {
    "ix_listing_board_newest": "created_at",
    "ix_listing_board_pay": "effective_rate_cents",
    "ix_listing_board_hours": "estimated_hours",
}


def upgrade() -> None:
    for name, column in SORTS.items():
        op.create_index(name, "listing", ["tenant_id", "status", column, "id"], unique=False)
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(FUNCTION)
    op.execute(
        "ALTER TABLE listing ADD COLUMN facets text[] GENERATED ALWAYS AS "
        "(listing_board_facets(skills, competencies, location_type::text, "
        "compensation_type::text)) STORED"
    )
    op.execute("CREATE INDEX ix_listing_facets ON listing USING gin (facets)")


def downgrade() -> None:
    for name in SORTS:
        op.drop_index(name, table_name="listing")
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_listing_facets")
    op.execute("ALTER TABLE listing DROP COLUMN IF EXISTS facets")
    op.execute("DROP FUNCTION IF EXISTS listing_board_facets(json, json, text, text)")
