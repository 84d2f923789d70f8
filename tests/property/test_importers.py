"""The importers under hostile files, uploaded through their pages by an advisor of a real
launch: the listing importer (schema.org JobPosting JSON-LD and CSV), the SIS profile import
(CSV) and the CASE framework import (JSON). Never a 5xx; a file refused as a whole writes
nothing; the report page never shows hostile markup unescaped. The parsers themselves answer
every input with records or their one format error."""

from __future__ import annotations

import contextlib
import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from .conftest import PROPERTY, World, any_text, changed, check_answer, counts, hostile, post
from .test_lti import json_value

pytestmark = pytest.mark.slow  # tens of examples a test

CASE_FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "case"
LISTING_COLUMNS = (
    "external_id", "title", "employer", "employer_website", "summary", "description", "skills",
    "tags", "competencies", "estimated_hours", "compensation_type", "pay_amount", "currency",
    "location_type", "location", "application_deadline", "openings", "programs", "class_years",
)  # fmt: skip
LISTING_ROW = {
    "external_id": "X-1",
    "title": "Data clean-up sprint",
    "employer": "Acme Analytics",
    "employer_website": "https://acme.example",
    "summary": "Tidy a sheet",
    "description": "Tidy our data",
    "skills": "",
    "tags": "data",
    "competencies": "Technology",
    "estimated_hours": "20",
    "compensation_type": "fixed",
    "pay_amount": "600",
    "currency": "USD",
    "location_type": "remote",
    "location": "",
    "application_deadline": "2030-10-01",
    "openings": "1",
    "programs": "",
    "class_years": "",
}
POSTING_KEYS = (
    "identifier", "title", "description", "employmentType", "hiringOrganization",
    "jobLocationType", "validThrough", "workHours", "skills", "baseSalary", "@type",
    "jobLocation", "datePosted", "occupationalCategory",
)  # fmt: skip


def _posting() -> dict[str, Any]:
    return {
        "@context": "https://schema.org",
        "@type": "JobPosting",
        "identifier": {"@type": "PropertyValue", "name": "Acme", "value": "J-1"},
        "title": "Data clean-up sprint",
        "description": "<p>Clean our data.</p>",
        "employmentType": ["INTERN"],
        "hiringOrganization": {"@type": "Organization", "name": "Acme Analytics"},
        "jobLocationType": "TELECOMMUTE",
        "validThrough": "2030-10-01T23:59",
        "workHours": "20 hours in total",
        "skills": ["SQL"],
        "baseSalary": {
            "@type": "MonetaryAmount",
            "currency": "USD",
            "value": {"@type": "QuantitativeValue", "value": 600},
        },
    }


def _csv(rows: list[dict[str, str]], columns: tuple[str, ...]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8", "surrogatepass")


def _upload(world: World, url: str, name: str, data: bytes, **fields: str) -> Any:
    advisor = world.advisor
    return post(
        advisor.client,
        advisor.url(url),
        advisor.fields(**fields),
        {"file": (name, data, "application/octet-stream")},
    )


def _check_upload(world: World, url: str, name: str, data: bytes, **fields: str) -> None:
    with world.app.app_context():
        before = counts()
    resp = _upload(world, url, name, data, **fields)
    what = f"{url} {name} {data[:120]!r}"
    check_answer(resp, what)
    if resp.status_code >= 400:
        with world.app.app_context():
            # a refused file writes nothing (the audit trail of a refusal aside)
            assert changed(before, counts(), ("audit_entry",)) == {}, what
    elif resp.status_code in (302, 303):
        check_answer(world.advisor.client.get(resp.headers["Location"]), f"{what} (next page)")


listing_csv = st.builds(
    lambda cells: _csv([{**LISTING_ROW, **cells}], LISTING_COLUMNS),
    st.dictionaries(st.sampled_from(LISTING_COLUMNS), hostile, min_size=1),
)
listing_jsonld = st.builds(
    lambda key, value: json.dumps({**_posting(), key: value}).encode(),
    st.sampled_from(POSTING_KEYS),
    json_value,
)


def test_listing_import_positive_control(world):
    resp = _upload(world, "/internships/import", "l.csv", _csv([LISTING_ROW], LISTING_COLUMNS))
    assert resp.status_code == 200 and b"Data clean-up sprint" in resp.get_data()


def test_hostile_listing_import_files(world):
    @PROPERTY
    @given(
        file=st.one_of(
            listing_csv.map(lambda data: ("l.csv", data)),
            listing_jsonld.map(lambda data: ("l.jsonld", data)),
            st.binary(max_size=400).map(lambda data: ("l.csv", data)),
            st.tuples(st.sampled_from(["x.json", "x.csv", "x"]), json_value).map(
                lambda pair: (pair[0], json.dumps(pair[1]).encode())
            ),
        )
    )
    @example(("l.jsonld", json.dumps({**_posting(), "title": "NUL\x00here"}).encode()))
    @example(("l.jsonld", json.dumps({**_posting(), "description": "lone \ud800"}).encode()))
    @example(("l.csv", _csv([{**LISTING_ROW, "summary": "NUL\x00here"}], LISTING_COLUMNS)))
    @example(("l.csv", b"\r0"))
    def run(file: tuple[str, bytes]) -> None:
        _check_upload(world, "/internships/import", *file)

    run()


PROFILE_COLUMNS = ("lms_user_id", "email", "program", "class_year", "expected_graduation")


def test_hostile_sis_profile_imports(world):
    student_row = {
        "lms_user_id": world.student.sub,
        "email": f"{world.student.sub}@example.edu",
        "program": "Business",
        "class_year": "Junior",
        "expected_graduation": "2027-05-15",
    }
    resp = _upload(world, "/profile/import", "p.csv", _csv([student_row], PROFILE_COLUMNS))
    assert resp.status_code == 200, resp.get_data(as_text=True)[:500]

    @PROPERTY
    @given(
        file=st.one_of(
            st.dictionaries(st.sampled_from(PROFILE_COLUMNS), hostile, min_size=1).map(
                lambda cells: _csv([{**student_row, **cells}], PROFILE_COLUMNS)
            ),
            st.binary(max_size=400),
        )
    )
    @example(_csv([{**student_row, "program": "NUL\x00here"}], PROFILE_COLUMNS))
    def run(file: bytes) -> None:
        _check_upload(world, "/profile/import", "p.csv", file)

    run()


CASE_PATHS = (
    ("CFDocument", "identifier"), ("CFDocument", "title"), ("CFDocument", "creator"),
    ("CFDocument", "lastChangeDateTime"), ("CFDocument", "description"), ("CFDocument",),
    ("CFItems",), ("CFItems", 0, "identifier"), ("CFItems", 0, "fullStatement"),
    ("CFItems", 0, "humanCodingScheme"), ("CFItems", 0, "abbreviatedStatement"),
    ("CFItems", 0, "lastChangeDateTime"), ("CFItems", 0), ("CFAssociations",),
    ("CFAssociations", 0, "associationType"), ("CFAssociations", 0, "originNodeURI"),
    ("CFAssociations", 0, "destinationNodeURI"),
)  # fmt: skip


def _set_path(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    target = doc
    for key in path[:-1]:
        if isinstance(target, list):
            if not target:
                return doc
            key = min(key, len(target) - 1)
        elif not isinstance(target, dict) or key not in target:
            return doc
        target = target[key]
    last = path[-1]
    if isinstance(target, list):
        if target:
            target[min(last, len(target) - 1)] = value
    elif isinstance(target, dict):
        target[last] = value
    return doc


@pytest.mark.parametrize("fixture", ["valid_flat.json", "valid_nested.json"])
def test_hostile_case_packages(world, fixture):
    package = json.loads((CASE_FIXTURES / fixture).read_text())
    control = _upload(
        world, "/frameworks/import", "case.json", json.dumps(package).encode(), kind="program"
    )
    assert control.status_code == 303, control.get_data(as_text=True)[:600]

    @PROPERTY
    @given(
        path=st.sampled_from(CASE_PATHS),
        value=st.one_of(json_value, hostile),
        raw=st.one_of(st.none(), st.binary(max_size=200)),
        kind=st.one_of(st.sampled_from(["program", "competencies"]), hostile),
    )
    @example(("CFDocument", "title"), "NUL\x00here", None, "program")
    @example(("CFItems", 0, "fullStatement"), "lone \ud800", None, "program")
    def run(path: tuple[Any, ...], value: Any, raw: bytes | None, kind: str) -> None:
        doc = _set_path(json.loads(json.dumps(package)), path, value)
        data = raw if raw is not None else json.dumps(doc).encode()
        _check_upload(world, "/frameworks/import", "case.json", data, kind=kind)

    run()


def test_parsers_answer_any_text_with_records_or_their_format_error():
    from accreditation.frameworks import case
    from internships.profile.imports import csv_records as profile_records
    from internships.services.imports import ImportFormatError, read_records
    from lti_tool.errors import AppError

    @PROPERTY
    @given(text=st.one_of(hostile, st.binary(max_size=300).map(lambda b: b.decode("latin-1"))))
    @example("\r0")  # a bare carriage return once escaped as csv.Error (a 500 on upload)
    @example("external_id,title\n" + "x" * 140_000 + ",t\n")  # over csv's field limit
    def run(text: str) -> None:
        for name in ("x.csv", "x.json", ""):
            with contextlib.suppress(ImportFormatError):
                read_records(text, name)
        with contextlib.suppress(AppError):
            profile_records(text)

    @PROPERTY
    @given(value=json_value)
    def run_case(value: Any) -> None:
        with contextlib.suppress(AppError):
            case.parse_package(value)

    run()
    run_case()


def test_hostile_case_package_addresses(world):
    """The CASE import by address: nothing leaves the machine (every fetch fails to connect),
    and no address — malformed, hostile or unreachable — gets a 5xx or writes a row."""
    import requests
    import requests_mock

    @PROPERTY
    @given(
        url=st.one_of(
            hostile,
            st.sampled_from(
                [
                    "http://[",
                    "https://[::1/ims/case/v1p0/CFPackages/x",
                    "https://case.example.org/ims/case/v1p0/CFPackages/\x00",
                    "https://user:pw@/ims/case/v1p0/CFPackages/x",
                    "javascript:alert(1)//ims/case/v1p0/CFPackages/x",
                    "https://case.example.org:99999/ims/case/v1p0/CFPackages/x",
                ]
            ),
            any_text.map(lambda t: f"https://case.example.org/ims/case/v1p0/CFPackages/{t}"),
        )
    )
    @example("http://[")
    def run(url: str) -> None:
        advisor = world.advisor
        with world.app.app_context():
            before = counts()
        with requests_mock.Mocker() as mock:
            mock.get(requests_mock.ANY, exc=requests.exceptions.ConnectionError)
            resp = post(
                advisor.client,
                advisor.url("/frameworks/import"),
                advisor.fields(url=url, kind="program"),
            )
        if resp.status_code == 502:  # a well-formed address whose provider did not answer
            # said generically: no port, status or body to probe with
            assert b"at that address" in resp.get_data(), url
            resp.status_code = 422
        check_answer(resp, f"CASE import from {url!r:.120}")
        assert resp.status_code >= 400 or resp.status_code == 200
        with world.app.app_context():
            assert changed(before, counts(), ("audit_entry",)) == {}

    run()
