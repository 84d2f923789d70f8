"""Coverage by listing counts each evidence row under the listing stored on the row: both
writers of evidence (supervisor ratings turned into evidence, a self-assessment posted on its
page) store their engagement's listing themselves, a row written without it gets it on insert,
and the page shows the counts of known evidence."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import event, select

from accreditation.evidence import models as evidence_models
from accreditation.evidence import services as evidence_services
from accreditation.evidence.models import Evidence
from internships.work.models import Engagement
from internships.work.services.evaluations import submit_evaluation
from lti_tool.actor import Actor
from lti_tool.extensions import db
from tests.helpers import csrf_token
from tests.internships.work.helpers import accept


@pytest.fixture
def writers_only():
    """The writers alone: no filling in of a missing listing on insert while the test runs."""
    hook = evidence_models._listing_of_engagement
    event.remove(Evidence, "before_insert", hook)
    yield
    event.listen(Evidence, "before_insert", hook)


def _listing_table(body: str) -> dict[str, dict[str, str]]:
    """The outcomes by listings table: listing title -> outcome name -> cell."""
    table = body[body.index("<caption>Outcomes \u00d7 listings") :]
    table = table[: table.index("</table>")]
    head = re.findall(r'<th scope="col">([^<]*)</th>', table)[1:]
    rows = {}
    for title, cells in re.findall(r'<tr><th scope="row">([^<]*)</th>(.*?)</tr>', table):
        values = re.findall(r"<td>([^<]*)</td>", cells)
        rows[html.unescape(title)] = dict(zip(map(html.unescape, head), values, strict=True))
    return rows


def _self_assess(student, engagement_id: int, levels: dict[str, str]) -> None:
    url = f"/evidence/self-assessment/{engagement_id}"
    page = student.client.get(f"{url}?lid={student.lid}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    found = re.findall(
        r"<legend>([^<]+?)(?: <span[^>]*>[^<]*</span>)?</legend>[\s\S]*?name=\"level-(\d+)\"",
        body,
    )
    items = {html.unescape(name.strip()): item_id for name, item_id in found}
    data = {"lid": student.lid, "csrf_token": csrf_token(page)}
    data.update({f"level-{items[name]}": level for name, level in levels.items()})
    assert student.client.post(url, data=data).status_code == 303


def test_the_page_counts_each_listings_evidence_written_by_either_writer(
    app, school, seed_listing, record, writers_only
):
    ann, ben = school.person("student"), school.person("student")
    advisor = school.person("advisor")
    competencies = ["Teamwork", "Communication"]
    first = seed_listing(
        school.tenant_id, competencies=competencies, title="Survey sprint", openings=2
    )
    second = seed_listing(school.tenant_id, competencies=competencies, title="Data cleanup")
    with app.app_context():
        ann_first = accept(ann.ctx(), first).id
        ben_first = accept(ben.ctx(), first).id
        ben_second = accept(ben.ctx(), second).id
        # supervisor ratings, turned into evidence by the sync
        submit_evaluation(
            Actor(school.tenant_id, "Sam Supervisor (employer link)"),
            ann_first,
            "Sam Supervisor",
            {"Teamwork": (3, ""), "Communication": (2, "")},
            "",
        )
        submit_evaluation(
            Actor(school.tenant_id, "Sam Supervisor (employer link)"),
            ben_first,
            "Sam Supervisor",
            {"Teamwork": (4, ""), "Communication": (None, "")},
            "",
        )
        db.session.commit()
        assert evidence_services.sync_supervisor_evidence(school.tenant_id) == 4
        db.session.commit()
    # a self-assessment, posted on its page
    _self_assess(ben, ben_second, {"Teamwork": "2", "Communication": "1"})
    _self_assess(ann, ann_first, {"Teamwork": "na", "Communication": "4"})
    record(school.tenant_id, [(ann, "Teamwork", 2, "direct")])  # no engagement

    with app.app_context():
        listing_of = dict(db.session.execute(select(Engagement.id, Engagement.listing_id)).all())
        rows = db.session.scalars(
            select(Evidence).where(Evidence.tenant_id == school.tenant_id)
        ).all()
        assert len(rows) == 9
        assert all(r.listing_id == listing_of.get(r.engagement_id) for r in rows)
        assert sum(r.listing_id is None for r in rows) == 1  # the one without an engagement

    page = advisor.client.get(f"/attainment/coverage/listings?lid={advisor.lid}")
    assert page.status_code == 200
    table = _listing_table(page.get_data(as_text=True))
    assert list(table) == ["Survey sprint", "Data cleanup", "No listing"]  # most evidence first
    shown = {title: (cells["Teamwork"], cells["Communication"]) for title, cells in table.items()}
    # rated rows only: Ben's supervisor rated Communication not applicable, Ann her Teamwork
    assert shown == {
        "Survey sprint": ("2", "2"),
        "Data cleanup": ("1", "1"),
        "No listing": ("1", "0"),
    }
    assert set(table["Survey sprint"]) >= {"Teamwork", "Communication", "Leadership"}
    assert table["Survey sprint"]["Leadership"] == "0"


def test_a_row_written_without_its_listing_gets_its_engagements(app, school, seed_listing, record):
    student = school.person("student")
    listing_id = seed_listing(school.tenant_id, title="Survey sprint")
    with app.app_context():
        engagement_id = accept(student.ctx(), listing_id).id
        db.session.commit()
    record(school.tenant_id, [(student, "Teamwork", 3, "direct")], engagement_id=engagement_id)
    record(school.tenant_id, [(student, "Teamwork", 1, "direct")])
    with app.app_context():
        stored = db.session.execute(
            select(Evidence.engagement_id, Evidence.listing_id)
            .where(Evidence.tenant_id == school.tenant_id)
            .order_by(Evidence.id)
        ).all()
    assert [tuple(r) for r in stored] == [(engagement_id, listing_id), (None, None)]
