"""A schema.org ``JobPosting`` as a record with the CSV's column names, and the key it is
imported under (its identifier, url or @id; else derived; else a hash of its content)."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

DERIVED, CONTENT_HASH = "derived", "content"
KEY_SOURCES = {
    "external_id": "external_id",
    "identifier": "identifier",
    "url": "url",
    "@id": "@id",
    DERIVED: "derived from employer, title and date posted",
    CONTENT_HASH: "a hash of the posting's content (it has no identifier, url or @id, nor "
    "employer, title and date posted): a changed posting imports as a new listing",
}


def _text(value: Any) -> str:
    if isinstance(value, list):
        value = value[0] if value else ""
    if isinstance(value, dict):
        value = value.get("value") or value.get("name") or value.get("@id") or ""
    return str(value).strip() if value is not None else ""


def _listish(value: Any) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else str(value).split(",")
    return [_text(i) for i in items if _text(i)]


def _money(posting: dict[str, Any]) -> tuple[str, str, str]:
    """(compensation_type, amount, currency) from baseSalary / estimatedSalary."""
    salary = posting.get("baseSalary", posting.get("estimatedSalary"))
    if isinstance(salary, list):
        salary = salary[0] if salary else None
    if salary is None or salary == "":
        return "", "", ""
    if not isinstance(salary, dict):
        amount, unit, currency = salary, "", ""
    else:
        value = salary.get("value", "")
        unit = _text(salary.get("unitText", "")).upper()
        if isinstance(value, dict):
            unit = _text(value.get("unitText", unit)).upper()
            value = value.get("value", value.get("minValue", value.get("median", "")))
        amount, currency = value, _text(salary.get("currency", ""))
    if str(amount).strip() in ("0", "0.0", "0.00"):
        return "unpaid", "", currency
    if unit in ("", "TOTAL", "PROJECT"):
        return "fixed", str(amount), currency
    if unit == "HOUR":
        return "hourly", str(amount), currency
    return f"per {unit.lower()}", str(amount), currency


def _norm(value: str) -> str:
    return " ".join(value.casefold().split())


def posting_key(posting: dict[str, Any], employer: str, title: str) -> tuple[str, str]:
    """(key, source) of a JobPosting: its identifier, url or @id; else derived from the
    employer, title and date posted (normalised, so a re-import finds it); else a hash of the
    posting's content."""
    for name in ("identifier", "url", "@id"):
        value = _text(posting.get(name))
        if value:
            return value, name
    posted = _text(posting.get("datePosted"))[:10]
    if employer and title and posted:
        key = " | ".join((_norm(employer), _norm(title), posted))
        if len(key) > 255:
            key = "derived:sha256:" + hashlib.sha256(key.encode()).hexdigest()
        return key, DERIVED
    canonical = json.dumps(posting, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest(), (
        CONTENT_HASH
    )


def from_job_posting(posting: dict[str, Any]) -> dict[str, Any]:
    """A JobPosting as a record with the CSV's column names (values still unchecked), plus
    ``key_source`` (which field the external id came from)."""
    org = posting.get("hiringOrganization")
    location_type = ""
    place = ""
    remote = "TELECOMMUTE" in [t.upper() for t in _listish(posting.get("jobLocationType"))]
    locations = posting.get("jobLocation")
    if isinstance(locations, list):
        locations = locations[0] if locations else None
    if isinstance(locations, dict):
        address = locations.get("address") or {}
        if isinstance(address, dict):
            parts = (address.get("addressLocality"), address.get("addressRegion"))
            place = ", ".join(_text(p) for p in parts if p)
        else:
            place = _text(address)
    if remote:
        location_type = "hybrid" if place else "remote"
    elif place:
        location_type = "onsite"
    hours = posting.get("estimatedHours")
    if hours is None or hours == "":
        # workHours is free text ("20 hours in total", "Flexible"): only a number counts
        work_hours = _text(posting.get("workHours"))
        hours = work_hours if re.match(r"\s*\d", work_hours) else ""
    compensation, amount, currency = _money(posting)
    employer = _text(org) if not isinstance(org, dict) else _text(org.get("name"))
    title = _text(posting.get("title"))
    key, key_source = posting_key(posting, employer, title)
    return {
        "external_id": key,
        "key_source": key_source,
        "title": title,
        "employer": employer,
        "employer_website": _text(org.get("sameAs") or org.get("url"))
        if isinstance(org, dict) else "",
        "description": str(posting.get("description") or ""),
        "skills": ";".join(_listish(posting.get("skills"))),
        "estimated_hours": _text(hours),
        "compensation_type": compensation,
        "pay_amount": amount,
        "currency": currency or "USD",
        "location_type": location_type,
        "location": place,
        "application_deadline": _text(posting.get("validThrough"))[:10],
        "openings": _text(posting.get("totalJobOpenings") or "1"),
        "work_authorization": _text(posting.get("eligibilityToWorkRequirement")),
        "employment_type": ";".join(_listish(posting.get("employmentType"))),
    }  # fmt: skip
