"""Listing imports: JSON-LD (single, list, @graph) and CSV, idempotent by external id, a
report row per record, bad records refused without leaving anything behind."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from internships.models import Employer, Listing
from internships.services.imports import (
    ImportFormatError,
    import_listings,
    read_records,
)
from lti_tool.actor import Actor
from lti_tool.extensions import db
from tests.internships.conftest import ACTOR


def posting(ident: str, /, **overrides):
    body = {
        "@context": "https://schema.org",
        "@type": "JobPosting",
        "identifier": {"@type": "PropertyValue", "name": "Acme", "value": ident},
        "title": "Data clean-up sprint",
        "description": "<p>Clean <b>our</b> data.</p><script>alert(1)</script>",
        "employmentType": ["INTERN", "PART_TIME"],
        "hiringOrganization": {"@type": "Organization", "name": "Acme Analytics",
                               "sameAs": "https://acme.example"},
        "jobLocationType": "TELECOMMUTE",
        "validThrough": "2030-10-01T23:59",
        "workHours": "20 hours in total",
        "skills": ["SQL", "Data cleaning", "dbt"],
        "baseSalary": {"@type": "MonetaryAmount", "currency": "USD",
                       "value": {"@type": "QuantitativeValue", "value": 600}},
    }  # fmt: skip
    body.update(overrides)
    return body


def count(model, tenant_id: int) -> int:
    return db.session.scalar(
        select(func.count()).select_from(model).where(model.tenant_id == tenant_id)
    )


def test_single_jobposting_creates_an_open_listing(tenant):
    records = read_records(json.dumps(posting("A-1")), "one.jsonld")
    report = import_listings(Actor(tenant.id, ACTOR), records)
    assert report.summary == "1 created, 0 updated, 0 rejected"
    listing = db.session.get(Listing, report.results[0].listing_id)
    assert (listing.source, listing.external_id, listing.status) == ("import", "A-1", "open")
    assert listing.skills == ["sql", "data-cleaning"] and listing.tags == ["dbt"]
    assert (listing.estimated_hours, listing.effective_rate_cents) == (20, 3000)
    assert listing.location_type == "remote"
    assert str(listing.application_deadline) == "2030-10-01"
    assert listing.employer.website == "https://acme.example"


def test_reimport_updates_and_never_duplicates(tenant):
    first = read_records(json.dumps([posting("A-1"), posting("A-2")]))
    assert (
        import_listings(Actor(tenant.id, ACTOR), first).summary
        == "2 created, 0 updated, 0 rejected"
    )
    again = read_records(
        json.dumps(
            {
                "@graph": [
                    posting("A-1", title="Renamed sprint"),
                    {"@type": "Organization", "name": "x"},
                ]
            }
        )
    )
    report = import_listings(Actor(tenant.id, ACTOR), again)
    assert report.summary == "0 created, 1 updated, 0 rejected"
    assert count(Listing, tenant.id) == 2 and count(Employer, tenant.id) == 1
    assert db.session.get(Listing, report.results[0].listing_id).title == "Renamed sprint"


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"employmentType": "FULL_TIME"}, "not a micro-internship"),
        ({"baseSalary": None}, "The pay is not stated"),
        ({"baseSalary": {"currency": "USD", "value": {"value": 40000, "unitText": "YEAR"}}},
         "per year is not supported"),
        ({"estimatedHours": "lots"}, "estimated_hours 'lots' is not a whole number"),
        ({"baseSalary": {"currency": "USD", "value": "a lot"}}, "pay_amount 'a lot' is not an"),
        ({"hiringOrganization": None}, "The employer is missing"),
        ({"jobLocationType": None}, "Choose remote, hybrid or on site"),
        ({"validThrough": "soon"}, "is not a date"),
        ({"title": ""}, "The title is missing"),
        ({"title": "AB"}, "Give a title of 3 to 200 characters"),
    ],
)  # fmt: skip
def test_bad_records_are_rejected_with_a_reason_and_leave_nothing(tenant, overrides, reason):
    records = read_records(json.dumps([posting("OK-1"), posting("BAD-2", **overrides)]))
    report = import_listings(Actor(tenant.id, ACTOR), records)
    assert report.summary == "1 created, 0 updated, 1 rejected"  # the good one still lands
    rejected = report.results[1]
    assert rejected.row == 2 and reason in rejected.reason
    assert count(Listing, tenant.id) == 1


def test_rejected_new_employer_is_rolled_back(tenant):
    bad = posting("B-1", hiringOrganization={"name": "Ghost Ltd"}, baseSalary=None)
    report = import_listings(Actor(tenant.id, ACTOR), read_records(json.dumps(bad)))
    assert report.count("rejected") == 1
    assert count(Employer, tenant.id) == 0


def test_unpaid_and_hourly_postings(tenant):
    unpaid = posting("U-1", baseSalary={"currency": "USD", "value": 0})
    hourly = posting("H-1", baseSalary={"currency": "USD",
                                        "value": {"value": 22, "unitText": "HOUR"}},
                     jobLocation={"address": {"addressLocality": "Austin",
                                              "addressRegion": "TX"}})  # fmt: skip
    report = import_listings(Actor(tenant.id, ACTOR), read_records(json.dumps([unpaid, hourly])))
    first, second = (db.session.get(Listing, r.listing_id) for r in report.results)
    assert (first.compensation_type, first.status) == ("unpaid", "pending_approval")
    assert (second.compensation_type, second.effective_rate_cents) == ("hourly", 2200)
    assert (second.location_type, second.location) == ("hybrid", "Austin, TX")


CSV = """external_id,title,employer,estimated_hours,compensation_type,pay_amount,location_type,location,skills,competencies,application_deadline
C-1,Podcast editing,Riverside Radio,12,hourly,21.50,onsite,Campus studio,Audio editing;Podcast production,Communication;Technology,2030-11-01
C-2,Grant research,Riverside Food Bank,10,unpaid,,remote,,grant-writing,Critical Thinking,
C-3,Broken row,Riverside Radio,lots,fixed,100,remote,,,,
C-4,Bad competency,Riverside Radio,10,fixed,300,remote,,,Juggling,
"""  # noqa: E501


def test_csv_import_reports_each_row_by_line(tenant):
    report = import_listings(Actor(tenant.id, ACTOR), read_records(CSV, "listings.csv"))
    outcomes = [(r.row, r.outcome) for r in report.results]
    assert outcomes == [(2, "created"), (3, "created"), (4, "rejected"), (5, "rejected")]
    assert "not a whole number" in report.results[2].reason
    assert "'Juggling' is not a known competency" in report.results[3].reason
    podcast = db.session.get(Listing, report.results[0].listing_id)
    assert podcast.skills == ["audio-editing", "podcast-production"]
    assert podcast.pay_amount_cents == 2150 and podcast.location == "Campus studio"
    assert (
        import_listings(Actor(tenant.id, ACTOR), read_records(CSV, "x.csv")).count("created") == 0
    )


@pytest.mark.parametrize(
    ("text", "name", "message"),
    [
        ("{not json", "x.json", "not valid JSON"),
        ('{"@type": "Organization"}', "x.json", "no schema.org JobPosting"),
        ("name,pay\nx,1\n", "x.csv", "lacks external_id, title"),
    ],
)
def test_unreadable_files_are_refused_as_a_whole(text, name, message):
    with pytest.raises(ImportFormatError, match=message):
        read_records(text, name)


def test_cli_import_with_progress_and_dry_run(app, runner, tmp_path):
    from lti_tool.models import Tenant

    with app.app_context():
        tenant = Tenant(name="CLI import school", settings={})
        db.session.add(tenant)
        db.session.commit()
        tenant_id = tenant.id
    path = tmp_path / "listings.csv"
    path.write_text(CSV, encoding="utf-8")
    dry = runner.invoke(args=["internships", "import", str(path), "--tenant", str(tenant_id),
                              "--dry-run"])  # fmt: skip
    assert dry.exit_code == 0, dry.output
    assert "Dry run, nothing saved: 2 created, 0 updated, 2 rejected." in dry.output
    real = runner.invoke(args=["internships", "import", str(path), "--tenant", "CLI import school"])
    assert real.exit_code == 0, real.output
    assert "row 4: rejected 'C-3'" in real.output
    with app.app_context():
        assert count(Listing, tenant_id) == 2
    unknown = runner.invoke(args=["internships", "import", str(path), "--tenant", "nobody"])
    assert unknown.exit_code != 0 and "no tenant 'nobody'" in unknown.output


def test_cli_expire(app, runner):
    result = runner.invoke(args=["internships", "expire"])
    assert result.exit_code == 0 and "listings expired." in result.output


def test_a_listing_import_job_resumes_after_a_dead_runner_without_duplicates(app):
    """A job whose runner died mid-way (heartbeat stale) is claimed again and resumes after
    its last committed chunk; rows done twice update, never duplicate."""
    import datetime as dt

    from sqlalchemy import update

    from internships.models import ImportJob
    from internships.services import jobs as job_svc
    from lti_tool.models import Tenant

    records = [posting(f"J-{n}", title=f"Job listing {n}") for n in range(5)]
    text = json.dumps(records)
    with app.app_context():
        tenant = Tenant(name="Job import school", settings={})
        db.session.add(tenant)
        db.session.commit()
        job = job_svc.create_job(Actor(tenant.id, ACTOR), "listings", "feed.json", text)
        db.session.commit()
        job_id, tenant_id = job.id, tenant.id
        # A runner that did two rows and died: running, stale heartbeat.
        job_svc.run_job(job_id, chunk=2)
        assert count(Listing, tenant_id) == 5
        db.session.execute(
            update(ImportJob)
            .where(ImportJob.id == job_id)
            .values(
                status="running",
                processed=2,
                heartbeat_at=dt.datetime(2020, 1, 1),
                content=text,
                results=[],
                created=0,
            )
        )
        db.session.commit()
        stale = db.session.get(ImportJob, job_id)
        assert job_svc.is_stale(stale)
        db.session.rollback()
        done = job_svc.run_queued()
        assert [j.id for j in done if j.tenant_id == tenant_id] == [job_id]
        job = db.session.get(ImportJob, job_id)
        assert (job.status, job.processed, job.updated) == ("done", 5, 3)
        assert [r["row"] for r in job.results] == [3, 4, 5]
        assert count(Listing, tenant_id) == 5


def test_cli_listing_import_prints_progress(app, runner, tmp_path):
    path = tmp_path / "feed.json"
    path.write_text(json.dumps([posting(f"P-{n}") for n in range(4)]), encoding="utf-8")
    from lti_tool.models import Tenant

    with app.app_context():
        db.session.add(Tenant(name="CLI progress school", settings={}))
        db.session.commit()
    result = runner.invoke(
        args=["internships", "import", str(path), "--tenant", "CLI progress school", "--dry-run"]
    )
    assert result.exit_code == 0, result.output
    assert "Importing 4 records from feed.json" in result.output
    assert "1/4 rows (25%)" in result.output and "4/4 rows (100%)" in result.output


def test_cli_runs_queued_import_jobs(app, runner):
    from internships.services import jobs as job_svc
    from lti_tool.models import Tenant

    with app.app_context():
        tenant = Tenant(name="Queued jobs school", settings={})
        db.session.add(tenant)
        db.session.commit()
        job = job_svc.create_job(
            Actor(tenant.id, ACTOR), "listings", "q.json", json.dumps(posting("Q-1"))
        )
        db.session.commit()
        job_id = job.id
    result = runner.invoke(args=["internships", "jobs"])
    assert result.exit_code == 0, result.output
    assert f"import {job_id} (listings, q.json): done, 1 created" in result.output
