"""A credential's signed document read for a person: what its card, its verification page and
the portfolio show (issuer, achievement, competencies and levels, date, evidence), and the
links that share it (LinkedIn's add-to-profile address). Reads the document only: it is what
was signed, so a page never says more than the credential does."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

LINKEDIN_ADD = "https://www.linkedin.com/profile/add"


@dataclass(frozen=True)
class Level:
    """A competency the credential records, with the level reached (empty when unrated)."""

    competency: str
    level: str = ""


@dataclass(frozen=True)
class Evidence:
    name: str
    url: str = ""
    narrative: str = ""


@dataclass(frozen=True)
class Card:
    """What a credential says, in the order a person reads it."""

    kind: str  # "achievement" or "clr"
    title: str
    issuer: str
    description: str = ""
    criteria: str = ""
    valid_from: dt.datetime | None = None
    levels: tuple[Level, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    achievements: tuple[str, ...] = ()  # a CLR's: the achievements it bundles
    subject_did: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    return [value] if value is not None else []


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _when(value: Any) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def _levels(subject: dict[str, Any]) -> tuple[Level, ...]:
    """Each result's competency and the rubric level it reached; competencies the achievement
    aligns to but no result rates are listed without a level."""
    achievement = _dict(subject.get("achievement"))
    descriptions = {
        _text(d.get("id")): d for d in map(_dict, _list(achievement.get("resultDescription")))
    }
    out: list[Level] = []
    for result in map(_dict, _list(subject.get("result"))):
        description = _dict(descriptions.get(_text(result.get("resultDescription"))))
        levels = {
            _text(level.get("id")): _text(level.get("name"))
            for level in map(_dict, _list(description.get("rubricCriterionLevel")))
        }
        aligned = [_text(_dict(a).get("targetName")) for a in _list(description.get("alignment"))]
        name = next((a for a in aligned if a), "") or _text(description.get("name"))
        level = levels.get(_text(result.get("achievedLevel")), "") or _text(result.get("value"))
        if name:
            out.append(Level(name, level))
    rated = {level.competency for level in out}
    for alignment in map(_dict, _list(achievement.get("alignment"))):
        target = _text(alignment.get("targetName"))
        if target and target not in rated:
            out.append(Level(target))
            rated.add(target)
    return tuple(out)


def _evidence(document: dict[str, Any]) -> tuple[Evidence, ...]:
    out = []
    for item in map(_dict, _list(document.get("evidence"))):
        url = _text(item.get("id"))
        out.append(
            Evidence(
                name=_text(item.get("name")) or "Evidence",
                url=url if url.startswith(("https://", "http://")) else "",
                narrative=_text(item.get("narrative")) or _text(item.get("description")),
            )
        )
    return tuple(out)


def card_of(document: dict[str, Any]) -> Card:
    """The card of a signed OB 3.0 or CLR 2.0 credential document."""
    types = _list(document.get("type"))
    subject = _dict(
        _list(document.get("credentialSubject"))[0] if document.get("credentialSubject") else {}
    )
    issuer = document.get("issuer")
    issuer_name = _text(_dict(issuer).get("name")) or _text(issuer)
    achievement = _dict(subject.get("achievement"))
    subject_id = _text(subject.get("id"))
    if "ClrCredential" in types:
        bundled = [
            _text(
                _dict(
                    _dict(
                        _list(vc.get("credentialSubject"))[0] if vc.get("credentialSubject") else {}
                    ).get("achievement")
                ).get("name")
            )
            or _text(vc.get("name"))
            for vc in map(_dict, _list(subject.get("verifiableCredential")))
        ]
        return Card(
            kind="clr",
            title=_text(document.get("name")) or "Comprehensive Learner Record",
            issuer=issuer_name,
            description=_text(document.get("description")),
            valid_from=_when(document.get("validFrom")),
            achievements=tuple(name for name in bundled if name),
            subject_did=subject_id if subject_id.startswith("did:") else "",
        )
    return Card(
        kind="achievement",
        title=_text(achievement.get("name")) or _text(document.get("name")) or "Achievement",
        issuer=issuer_name,
        description=_text(achievement.get("description")),
        criteria=_text(_dict(achievement.get("criteria")).get("narrative")),
        valid_from=_when(document.get("validFrom")),
        levels=_levels(subject),
        evidence=_evidence(document),
        subject_did=subject_id if subject_id.startswith("did:") else "",
    )


def linkedin_url(card: Card, verify_url: str, credential_uuid: str) -> str:
    """LinkedIn's add-to-profile address for the credential: its name, the issuer, the month
    it was issued, and the public verification page as the certificate's address."""
    params: dict[str, Any] = {
        "startTask": "CERTIFICATION_NAME",
        "name": card.title,
        "organizationName": card.issuer,
    }
    if card.valid_from is not None:
        params.update(issueYear=card.valid_from.year, issueMonth=card.valid_from.month)
    params.update(certUrl=verify_url, certId=credential_uuid)
    return f"{LINKEDIN_ADD}?{urlencode(params)}"
