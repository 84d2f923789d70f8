"""Imports take real feeds: every problem of a rejected row, a key for JobPostings that carry
no identifier, drafts an advisor completes for postings without estimated hours (through the
pages, over real launches), and the size and depth limits."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from sqlalchemy import func, select

from internships.models import ImportJob, Listing
from internships.services import jobs as job_svc
from internships.services.imports import (
    MAX_IMPORT_BYTES,
    ImportFormatError,
    import_listings,
    read_records,
)
from lti_tool.actor import Actor
from lti_tool.extensions import db
from lti_tool.limits import MAX_IMPORT_JSON_DEPTH
from tests.helpers import ADVISOR_RULE, csrf_token
from tests.internships.conftest import ACTOR
from tests.internships.test_imports import CSV, posting
from tests.internships.test_views import advisor, student

DERIVED = "derived from employer, title and date posted"


def wild(**overrides: Any) -> dict[str, Any]:
    """A JobPosting as published in the wild: no identifier, url or @id."""
    body = posting("unused", **{"datePosted": "2030-09-01", **overrides})
    body.pop("identifier")
    return body


def listings_of(tenant_id: int) -> list[Listing]:
    return list(db.session.scalars(select(Listing).where(Listing.tenant_id == tenant_id)))


# --- every problem of a row ----------------------------------------------------------------


def test_a_rejected_row_names_every_problem_it_has(tenant):
    bad = posting("BAD-1", title="", baseSalary=None, validThrough="soon", jobLocationType=None)
    report = import_listings(
        Actor(tenant.id, ACTOR), read_records(json.dumps([posting("OK-1"), bad]))
    )
    assert report.summary == "1 created, 0 updated, 1 rejected"  # control: the good row lands
    rejected = report.results[1]
    assert rejected.problems == [
        "The title is missing (title).",
        "The pay is not stated (baseSalary, or compensation_type in CSV).",
        "application_deadline 'soon' is not a date (YYYY-MM-DD).",
        "Choose remote, hybrid or on site.",
    ]
    assert len(listings_of(tenant.id)) == 1


def test_a_csv_row_lists_each_problem_once(tenant):
    text = (
        "external_id,title,employer,estimated_hours,compensation_type,pay_amount,location_type\n"
        "X-1,,,lots,fixed,abc,moon\n"
    )
    [result] = import_listings(Actor(tenant.id, ACTOR), read_records(text, "x.csv")).results
    assert result.outcome == "rejected"
    assert result.problems == [
        "The employer is missing (hiringOrganization; CSV employer).",
        "The title is missing (title).",
        "estimated_hours 'lots' is not a whole number.",
        "pay_amount 'abc' is not an amount.",
        "Choose remote, hybrid or on site.",
    ]


def test_the_cli_report_lists_each_problem_on_its_own_line(app, runner, tmp_path):
    from lti_tool.models import Tenant

    with app.app_context():
        db.session.add(Tenant(name="CLI problems school", settings={}))
        db.session.commit()
    path = tmp_path / "feed.json"
    path.write_text(json.dumps([posting("OK-1"), posting("BAD-2", title="", baseSalary=None)]))
    result = runner.invoke(
        args=["internships", "import", str(path), "--tenant", "CLI problems school", "--dry-run"]
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    at = lines.index("row 2: rejected 'BAD-2' (key: identifier)")
    assert lines[at + 1 : at + 3] == [
        "  - The title is missing (title).",
        "  - The pay is not stated (baseSalary, or compensation_type in CSV).",
    ]
    assert "row 1: created 'OK-1' (key: identifier)" in lines


# --- keys for postings without an identifier --------------------------------------------------


def test_a_posting_without_identifier_gets_a_derived_key_and_reimport_updates(tenant):
    first = import_listings(Actor(tenant.id, ACTOR), read_records(json.dumps(wild())))
    [row] = first.results
    assert (row.outcome, row.key_source) == ("created", DERIVED)
    assert row.external_id == "acme analytics | data clean-up sprint | 2030-09-01"
    # The same posting again, spaced and cased differently, with a changed description.
    again = wild(title="  Data   CLEAN-UP sprint ", description="New text")
    second = import_listings(Actor(tenant.id, ACTOR), read_records(json.dumps(again)))
    assert [(r.outcome, r.listing_id) for r in second.results] == [("updated", row.listing_id)]
    [listing] = listings_of(tenant.id)
    assert listing.description_md == "New text"
    # Another date posted is another posting.
    later = import_listings(
        Actor(tenant.id, ACTOR), read_records(json.dumps(wild(datePosted="2031-01-05")))
    )
    assert later.results[0].outcome == "created" and len(listings_of(tenant.id)) == 2


def test_url_or_at_id_is_the_key_before_deriving_one(tenant):
    records = read_records(json.dumps([wild(url="https://jobs.example/7"), wild(**{"@id": "#j8"})]))
    report = import_listings(Actor(tenant.id, ACTOR), records)
    assert [(r.external_id, r.key_source) for r in report.results] == [
        ("https://jobs.example/7", "url"),
        ("#j8", "@id"),
    ]


def test_without_date_posted_the_key_is_a_content_hash(tenant):
    body = wild()
    body.pop("datePosted")
    first = import_listings(Actor(tenant.id, ACTOR), read_records(json.dumps(body)))
    [row] = first.results
    assert row.outcome == "created" and row.external_id.startswith("sha256:")
    assert row.key_source.startswith("a hash of the posting's content")
    again = import_listings(Actor(tenant.id, ACTOR), read_records(json.dumps(body)))
    assert again.results[0].outcome == "updated" and len(listings_of(tenant.id)) == 1


# --- drafts ------------------------------------------------------------------------------------


def test_a_posting_without_hours_is_a_draft_and_a_reimport_keeps_it_one(tenant):
    body = posting("D-1", workHours="Flexible")
    report = import_listings(Actor(tenant.id, ACTOR), read_records(json.dumps(body)))
    [row] = report.results
    assert (row.outcome, row.draft) == ("created", True)
    assert "waits for an advisor" in row.notes[0]
    assert report.summary.endswith("; 1 draft waits for an advisor to add the estimated hours")
    listing = db.session.get(Listing, row.listing_id)
    assert (listing.status, listing.estimated_hours) == ("draft", 0)
    again = import_listings(Actor(tenant.id, ACTOR), read_records(json.dumps(body)))
    assert (again.results[0].outcome, again.results[0].draft) == ("updated", True)
    assert listing.status == "draft"
    # The feed now states the hours: the draft is published.
    done = import_listings(Actor(tenant.id, ACTOR), read_records(json.dumps(posting("D-1"))))
    assert (done.results[0].draft, listing.status, listing.estimated_hours) == (False, "open", 20)


def test_a_posting_missing_more_than_hours_is_rejected_not_drafted(tenant):
    body = posting("D-2", workHours="", baseSalary=None)
    [row] = import_listings(Actor(tenant.id, ACTOR), read_records(json.dumps(body))).results
    assert row.outcome == "rejected" and not row.draft
    assert row.problems == ["The pay is not stated (baseSalary, or compensation_type in CSV)."]


def test_a_csv_row_with_empty_hours_is_a_draft(tenant):
    text = CSV.replace(
        "C-1,Podcast editing,Riverside Radio,12,", "C-1,Podcast editing,Riverside Radio,,"
    )
    report = import_listings(Actor(tenant.id, ACTOR), read_records(text, "x.csv"))
    assert (report.results[0].outcome, report.results[0].draft) == ("created", True)


def test_completing_a_draft_submits_it_and_a_reimport_keeps_the_hours(tenant):
    from internships.services.listings import complete_draft

    body = posting("D-3", workHours="")
    [row] = import_listings(Actor(tenant.id, ACTOR), read_records(json.dumps(body))).results
    listing = complete_draft(Actor(tenant.id, ACTOR), row.listing_id, 30)
    assert (listing.status, listing.effective_rate_cents) == ("open", 2000)  # $600 / 30 h
    [again] = import_listings(Actor(tenant.id, ACTOR), read_records(json.dumps(body))).results
    assert (again.outcome, again.draft) == ("updated", False)
    assert again.notes == ("The file states no estimated hours: the listing keeps its 30 hours.",)
    assert (listing.status, listing.estimated_hours) == ("open", 30)


def test_completing_a_low_paid_draft_sends_it_for_approval(tenant):
    from internships.services.listings import complete_draft

    [row] = import_listings(
        Actor(tenant.id, ACTOR), read_records(json.dumps(posting("D-4", workHours="")))
    ).results
    assert complete_draft(Actor(tenant.id, ACTOR), row.listing_id, 100).status == "pending_approval"


# --- limits ------------------------------------------------------------------------------------


def _nested(depth: int) -> str:
    """A posting (one level) whose extra property nests lists to ``depth`` levels in all."""
    lists = depth - 1
    return json.dumps(posting("N-1", extra="HERE")).replace('"HERE"', "[" * lists + "]" * lists)


def test_json_nested_too_deeply_is_refused_with_the_limit():
    assert read_records(_nested(4), "ok.json")  # control: a list in a list in a list is fine
    with pytest.raises(ImportFormatError, match=f"nests more than {MAX_IMPORT_JSON_DEPTH} levels"):
        read_records(_nested(MAX_IMPORT_JSON_DEPTH + 1), "deep.json")


def test_a_file_over_the_size_limit_is_refused_with_the_limit():
    with pytest.raises(ImportFormatError, match="larger than 5 MB"):
        read_records(b" " * (MAX_IMPORT_BYTES + 1), "big.json")
    with pytest.raises(ImportFormatError, match="not UTF-8"):
        read_records(b"\xff\xfe{", "latin.json")


# --- the pages ---------------------------------------------------------------------------------


def _upload(client, lid: str, token: str, content: bytes, name: str):
    return client.post(
        "/internships/import",
        data={"lid": lid, "csrf_token": token, "file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def test_the_import_page_shows_every_problem_the_key_and_the_drafts(advised_platform, driver, app):
    client, lid = advisor(driver, advised_platform)
    token = csrf_token(client.get(f"/internships/import?lid={lid}"))
    feed = [
        wild(workHours=""),
        posting("P-2", title="", baseSalary=None),
    ]
    resp = _upload(client, lid, token, json.dumps(feed).encode(), "feed.json")
    text = resp.get_data(as_text=True)
    assert resp.status_code == 200, text[:500]
    assert "1 created, 0 updated, 1 rejected; 1 draft waits for an advisor" in text
    assert f"key: {DERIVED}" in text and "Created as a draft" in text
    assert "<li>The title is missing (title).</li>" in text
    assert "<li>The pay is not stated" in text
    too_big = _upload(client, lid, token, b" " * (MAX_IMPORT_BYTES + 1), "big.json")
    assert too_big.status_code == 422 and "larger than 5 MB" in too_big.get_data(as_text=True)
    deep = _upload(client, lid, token, _nested(40).encode(), "deep.json")
    assert deep.status_code == 422 and "levels deep" in deep.get_data(as_text=True)


def test_advisor_completes_a_draft_the_student_never_sees_it(
    advised_platform, make_platform, driver, app
):
    with app.app_context():
        report = import_listings(
            Actor(advised_platform.tenant_id, ACTOR),
            read_records(json.dumps(posting("W-1", title="Draft only sprint", workHours=""))),
        )
        db.session.commit()
        listing_id = report.results[0].listing_id
    stu_client, stu_lid = student(driver, advised_platform, sub="draft-student")
    assert "Draft only sprint" not in stu_client.get(f"/internships/?lid={stu_lid}").get_data(
        as_text=True
    )
    assert stu_client.get(f"/internships/{listing_id}?lid={stu_lid}").status_code == 404
    assert stu_client.get(f"/internships/drafts?lid={stu_lid}").status_code == 403
    assert stu_client.get(f"/internships/{listing_id}/complete?lid={stu_lid}").status_code == 403

    client, lid = advisor(driver, advised_platform)
    manage = client.get(f"/internships/manage?lid={lid}").get_data(as_text=True)
    assert f"/internships/drafts?lid={lid}" in manage
    drafts = client.get(f"/internships/drafts?lid={lid}").get_data(as_text=True)
    assert "Draft only sprint" in drafts and "Not stated" in drafts
    page = client.get(f"/internships/{listing_id}/complete?lid={lid}")
    assert page.status_code == 200
    no_token = client.post(
        f"/internships/{listing_id}/complete", data={"lid": lid, "estimated_hours": "25"}
    )
    assert no_token.status_code == 400
    token = csrf_token(page)
    refused = client.post(
        f"/internships/{listing_id}/complete",
        data={"lid": lid, "csrf_token": token, "estimated_hours": "0"},
    )
    assert refused.status_code == 422
    assert "Estimate between 1 and 400 hours." in refused.get_data(as_text=True)
    # An advisor of another institution cannot see or complete it.
    other = make_platform(tenant_settings=ADVISOR_RULE)
    other_client, other_lid = advisor(driver, other, sub="other-advisor")
    assert "Draft only sprint" not in other_client.get(
        f"/internships/drafts?lid={other_lid}"
    ).get_data(as_text=True)
    other_page = other_client.get(f"/internships/{listing_id}/complete?lid={other_lid}")
    assert other_page.status_code == 404
    done = client.post(
        f"/internships/{listing_id}/complete",
        data={"lid": lid, "csrf_token": token, "estimated_hours": "25"},
    )
    assert done.status_code == 303
    with app.app_context():
        listing = db.session.get(Listing, listing_id)
        assert (listing.status, listing.estimated_hours) == ("open", 25)
    assert "Draft only sprint" in stu_client.get(f"/internships/?lid={stu_lid}").get_data(
        as_text=True
    )
    assert "No imported draft waits for you." in client.get(
        f"/internships/drafts?lid={lid}"
    ).get_data(as_text=True)


def test_a_background_import_reports_keys_problems_and_drafts(advised_platform, driver, app):
    with app.app_context():
        feed = [wild(workHours=""), posting("J-2", title="", baseSalary=None)]
        job = job_svc.create_job(
            Actor(advised_platform.tenant_id, ACTOR), "listings", "feed.json", json.dumps(feed)
        )
        db.session.commit()
        job_svc.run_job(job.id)
        job_id = job.id
        finished = db.session.get(ImportJob, job_id)
        assert (finished.status, finished.created, finished.rejected) == ("done", 1, 1)
        assert db.session.scalar(
            select(func.count(Listing.id)).where(
                Listing.tenant_id == advised_platform.tenant_id, Listing.status == "draft"
            )
        )
    client, lid = advisor(driver, advised_platform)
    text = client.get(f"/internships/import/jobs/{job_id}?lid={lid}").get_data(as_text=True)
    assert f"key: {DERIVED}" in text and "Created as a draft" in text
    assert "<li>The title is missing (title).</li>" in text
    assert "complete the drafts" in text
