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

On PostgreSQL the backfill rewrites every evidence row and its entries in the table's other
indexes: 21 minutes for the 10 M rows of benchmarks/reports.py --scale 5 (2 CPUs shared with
other work, shared_buffers 128MB). Until the table's next VACUUM (autovacuum starts one after
so many changed rows) the reports read the rewritten rows from the table, not the index alone.
The foreign key and the index are built after the backfill.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b9c0d1e2f3a4"
down_revision = "a8b9c0d1e2f3"
branch_labels = None
depends_on = None

FK = "fk_outcome_evidence_listing_id_listing"


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        # a nullable column without a default: no rewrite; one UPDATE joining engagements
        # fills it, then the constraint is checked once over the filled column
        op.add_column("outcome_evidence", sa.Column("listing_id", sa.Integer(), nullable=True))
        op.execute(
            "UPDATE outcome_evidence AS ev SET listing_id = e.listing_id FROM engagement AS e "
            "WHERE e.id = ev.engagement_id AND ev.engagement_id IS NOT NULL"
        )
        op.create_foreign_key(FK, "outcome_evidence", "listing", ["listing_id"], ["id"])
    else:
        with op.batch_alter_table("outcome_evidence", schema=None) as batch_op:
            batch_op.add_column(sa.Column("listing_id", sa.Integer(), nullable=True))
            batch_op.create_foreign_key(FK, "listing", ["listing_id"], ["id"])
        op.execute(
            "UPDATE outcome_evidence SET listing_id = (SELECT e.listing_id FROM engagement e "
            "WHERE e.id = outcome_evidence.engagement_id) WHERE engagement_id IS NOT NULL"
        )
    op.create_index(
        "ix_outcome_evidence_listing",
        "outcome_evidence",
        ["tenant_id", "item_id", "listing_id", "level"],
        unique=False,
    )


def downgrade():
    op.drop_index("ix_outcome_evidence_listing", table_name="outcome_evidence")
    with op.batch_alter_table("outcome_evidence", schema=None) as batch_op:
        batch_op.drop_constraint(FK, type_="foreignkey")
        batch_op.drop_column("listing_id")
