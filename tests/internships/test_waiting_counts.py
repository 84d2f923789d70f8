"""The advisor's home counts what waits for the career center in one statement (issue 16):
the same numbers as the approval queue and the imported drafts, within one tenant."""

from __future__ import annotations

from sqlalchemy import event

from internships.services.listing_review import WaitingCounts, waiting_counts
from internships.services.listings import approval_queue, drafts_to_complete
from lti_tool.extensions import db


def test_waiting_counts_agree_with_the_queue_and_the_drafts(make_tenant, make_listing):
    tenant, other = make_tenant(), make_tenant()
    made = {
        ("pending_approval", "employer_form"): 2,
        ("pending_approval", "manual"): 1,
        ("draft", "import"): 3,
        ("draft", "manual"): 1,
        ("open", "employer_form"): 1,
    }
    for (status, source), n in made.items():
        for _ in range(n):
            listing = make_listing(tenant.id)
            listing.status, listing.source = status, source
    stray = make_listing(other.id)
    stray.status, stray.source = "pending_approval", "employer_form"
    db.session.flush()
    queue = approval_queue(tenant.id)
    expected = WaitingCounts(
        waiting=len(queue),
        from_employers=sum(1 for listing in queue if listing.source == "employer_form"),
        drafts=len(drafts_to_complete(tenant.id)),
    )
    seen: list[str] = []

    def count(*args: object) -> None:
        seen.append(str(args[2]))

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        counts = waiting_counts(tenant.id)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert counts == expected == WaitingCounts(waiting=3, from_employers=2, drafts=3)
    assert len(seen) == 1
    assert waiting_counts(make_tenant().id) == WaitingCounts(0, 0, 0)
