"""accreditation: each evidence row names its engagement's listing, for coverage by listing

Revision ID: b9c0d1e2f3a4
Revises: a8b9c0d1e2f3
Create Date: 2026-12-05 19:00:00

- outcome_evidence.listing_id: the listing of the row's engagement (NULL without one), copied
  from engagement.listing_id here and by the code that writes evidence from now on (an
  engagement never changes listing).
- ix_outcome_evidence_listing (tenant_id, item_id, listing_id, level): coverage by listing
  counts rated rows per outcome and listing from this index alone, where it joined each of
  the 10 M evidence rows of benchmarks/reports.py --scale 5 to its engagement.
- ix_outcome_evidence_course_item (tenant_id, course_id, item_id, level): coverage per course
  counts from this one (equal keys share an entry: 140 MB at 10 M rows) where it read the
  six-column attainment index (646 MB); the coverage report took 3.3 s before and 0.7 s after
  at --scale 5. It holds the prefix of ix_outcome_evidence_tenant_course (tenant_id,
  course_id), which could go.

On PostgreSQL the backfill writes a new version of every evidence row. It runs with the
table's secondary indexes and unique constraints dropped and rebuilt after it: 216 s for the
10 M rows of benchmarks/reports.py --scale 5 on 2 CPUs shared with other work, where the same
UPDATE keeping its seven indexes took 1,254 s and left them twice their size. Until the
table's next VACUUM (autovacuum starts one after so many changed rows) the reports read the
rows from the table rather than from the indexes alone.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b9c0d1e2f3a4"
down_revision = "a8b9c0d1e2f3"
branch_labels = None
depends_on = None

FK = "fk_outcome_evidence_listing_id_listing"
INDEXES = {
    "ix_outcome_evidence_listing": ["tenant_id", "item_id", "listing_id", "level"],
    "ix_outcome_evidence_course_item": ["tenant_id", "course_id", "item_id", "level"],
}
BACKFILL = (
    "UPDATE outcome_evidence AS ev SET listing_id = e.listing_id FROM engagement AS e "
    "WHERE e.id = ev.engagement_id AND ev.engagement_id IS NOT NULL"
)


def _backfill_postgresql(bind):
    """The UPDATE writes a new version of every row: with the table's secondary indexes and
    unique constraints dropped it writes the table alone, and they are rebuilt once after it,
    compact, as they were (their definitions read from the catalog)."""
    op.execute("SET LOCAL maintenance_work_mem = '256MB'")
    indexes = bind.exec_driver_sql(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = current_schema() "
        "AND i.tablename = 'outcome_evidence' AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
        "WHERE c.conrelid = 'outcome_evidence'::regclass AND c.conname = i.indexname)"
    ).all()
    uniques = bind.exec_driver_sql(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = 'outcome_evidence'::regclass AND contype = 'u'"
    ).all()
    for name, _ in indexes:
        op.execute(f'DROP INDEX "{name}"')
    for name, _ in uniques:
        op.execute(f'ALTER TABLE outcome_evidence DROP CONSTRAINT "{name}"')
    op.execute(BACKFILL)
    for name, definition in uniques:
        op.execute(f'ALTER TABLE outcome_evidence ADD CONSTRAINT "{name}" {definition}')
    for _, definition in indexes:
        op.execute(definition)


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        # a nullable column without a default: no rewrite; one UPDATE joining engagements
        # fills it, then the constraint is checked once over the filled column
        op.add_column("outcome_evidence", sa.Column("listing_id", sa.Integer(), nullable=True))
        _backfill_postgresql(bind)
        op.create_foreign_key(FK, "outcome_evidence", "listing", ["listing_id"], ["id"])
    else:
        with op.batch_alter_table("outcome_evidence", schema=None) as batch_op:
            batch_op.add_column(sa.Column("listing_id", sa.Integer(), nullable=True))
            batch_op.create_foreign_key(FK, "listing", ["listing_id"], ["id"])
        op.execute(
            "UPDATE outcome_evidence SET listing_id = (SELECT e.listing_id FROM engagement e "
            "WHERE e.id = outcome_evidence.engagement_id) WHERE engagement_id IS NOT NULL"
        )
    for name, columns in INDEXES.items():
        op.create_index(name, "outcome_evidence", columns, unique=False)
    if bind.dialect.name == "postgresql":
        op.execute("ANALYZE outcome_evidence")


def downgrade():
    for name in INDEXES:
        op.drop_index(name, table_name="outcome_evidence")
    with op.batch_alter_table("outcome_evidence", schema=None) as batch_op:
        batch_op.drop_constraint(FK, type_="foreignkey")
        batch_op.drop_column("listing_id")
