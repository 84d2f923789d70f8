"""The unsigned documents: an Open Badges 3.0 ``OpenBadgeCredential`` (W3C VC Data Model 2.0)
for an engagement or a credit award, and a CLR 2.0 ``ClrCredential`` bundling a student's.

``achievementType``: an engagement is ``Fieldwork`` (OB 3.0's enumeration: "practical
activities done away from school and related to the field of study", which a micro-internship
with an employer is); a credit award is ``Course`` ("the result of participation in a course":
the credits and grade of the internship course). Both come from the enumeration, so every
verifier and wallet knows them; no ``ext:`` value is needed.

Ids that name the same thing in every credential (an achievement, its result descriptions and
rubric levels) are name-based UUIDs (``uuid5``) under the issuer's DID, so two students'
credentials for the same listing name the same achievement; each credential's own ``id`` is
random. The subject is the student's own DID when they gave one, else a salted SHA-256 hash of
their email (``IdentityObject``; of their LMS user id when the LMS sent no email)."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass
from typing import Any

from .facts import AwardFacts, EngagementFacts, Rating, Target

VC_V2 = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
CLR_CONTEXT = "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json"
OB_TYPE = ["VerifiableCredential", "OpenBadgeCredential"]
CLR_TYPE = ["VerifiableCredential", "ClrCredential"]
ENGAGEMENT_TYPE = "Fieldwork"
AWARD_TYPE = "Course"
RATING_SCALE = ("Emerging Knowledge", "Understanding", "Early Application", "Advanced Application")
# How an award's grade is described, by the course's grading mode (OB 3.0 ResultType).
GRADE_RESULT_TYPES = {"pass_fail": "Status", "points": "RawScore", "percentage": "Percent"}


@dataclass(frozen=True)
class Subject:
    """How the credential names its holder."""

    did: str
    email: str
    lti_user_id: str
    salt: str

    def properties(self) -> dict[str, Any]:
        """``id`` (their DID) or ``identifier`` (a salted hash of their email)."""
        if self.did:
            return {"id": self.did}
        kind, value = (
            ("emailAddress", self.email) if self.email else ("ltiUserId", self.lti_user_id)
        )
        digest = hashlib.sha256(f"{value}{self.salt}".encode()).hexdigest()
        return {
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityType": kind,
                    "hashed": True,
                    "identityHash": f"sha256${digest}",
                    "salt": self.salt,
                }
            ]
        }


def stable_id(issuer_id: str, *parts: object) -> str:
    """A name-based ``urn:uuid`` under the issuer (the same parts give the same id)."""
    name = ":".join([issuer_id, *(str(p) for p in parts)])
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, name)}"


def timestamp(when: dt.datetime) -> str:
    return when.replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def _alignment(target: Target) -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": ["Alignment"],
        "targetName": target.name,
        "targetUrl": target.url,
        "targetFramework": target.framework,
        "targetCode": target.code,
        "targetType": "CFItem",
    }
    if target.description:
        out["targetDescription"] = target.description
    return out


def _hours(hours: float) -> str:
    return f"{hours:g} hour{'' if hours == 1 else 's'}"


def _narrative(facts: EngagementFacts) -> str:
    rated = [r for r in facts.ratings if r.level]
    lines = [
        f'Completed the micro-internship "{facts.title}" with {facts.employer}.',
        f"- Hours confirmed by the employer: {_hours(facts.hours)}.",
        f"- Deliverables handed in: {len(facts.deliverables)}.",
        f"- Evaluated by the employer's supervisor on {facts.evaluated_on.isoformat()}, "
        f"rated on {len(rated)} of {len(facts.ratings)} career readiness competencies "
        f"({', '.join(f'{r.competency}: {r.level_name}' for r in facts.ratings) or 'none'}).",
    ]
    return "\n".join(lines)


def _result_description(achievement_id: str, rating: Rating) -> dict[str, Any]:
    rd_id = stable_id(achievement_id, "rating", rating.competency)
    out: dict[str, Any] = {
        "id": rd_id,
        "type": ["ResultDescription"],
        "name": f"{rating.competency}: the supervisor's rating",
        "resultType": "RubricCriterionLevel",
        "rubricCriterionLevel": [
            {
                "id": stable_id(rd_id, "level", n),
                "type": ["RubricCriterionLevel"],
                "name": name,
                "level": str(n),
            }
            for n, name in enumerate(RATING_SCALE, start=1)
        ],
    }
    if rating.target is not None:
        out["alignment"] = [_alignment(rating.target)]
    return out


def _result(achievement_id: str, rating: Rating) -> dict[str, Any]:
    rd_id = stable_id(achievement_id, "rating", rating.competency)
    out: dict[str, Any] = {
        "type": ["Result"],
        "resultDescription": rd_id,
        "value": rating.level_name,
    }
    if rating.level:
        out["achievedLevel"] = stable_id(rd_id, "level", rating.level)
    return out


def _evidence(facts: EngagementFacts, choice: dict[str, Any]) -> list[dict[str, Any]]:
    """Only what the student chose: deliverables by id, the supervisor's comment."""
    chosen = {int(i) for i in choice.get("deliverable_ids") or []}
    out: list[dict[str, Any]] = []
    for handin in facts.deliverables:
        if handin.id not in chosen:
            continue
        item: dict[str, Any] = {
            "type": ["Evidence"],
            "name": handin.title,
            "genre": "Deliverable",
        }
        if handin.url:
            item["id"] = handin.url
        else:
            item["description"] = "A file handed in to the employer (not published)."
        out.append(item)
    if choice.get("include_comment") and facts.supervisor_comment.strip():
        out.append(
            {
                "type": ["Evidence"],
                "name": "The supervisor's comment",
                "genre": "Testimonial",
                "narrative": facts.supervisor_comment.strip(),
            }
        )
    return out


def _credential(
    issuer: dict[str, Any], name: str, subject: dict[str, Any], issued_at: dt.datetime
) -> dict[str, Any]:
    return {
        "@context": [VC_V2, OB_CONTEXT],
        "id": f"urn:uuid:{uuid.uuid4()}",
        "type": list(OB_TYPE),
        "issuer": issuer,
        "validFrom": timestamp(issued_at),
        "name": name,
        "credentialSubject": subject,
    }


def engagement_credential(
    issuer: dict[str, Any],
    facts: EngagementFacts,
    subject: Subject,
    choice: dict[str, Any],
    issued_at: dt.datetime,
) -> dict[str, Any]:
    """The OpenBadgeCredential of a completed, evaluated engagement (unsigned, no status)."""
    achievement_id = stable_id(issuer["id"], "listing", facts.listing_id)
    targets = [r.target for r in facts.ratings if r.target is not None and r.level]
    targets += list(facts.outcomes)
    achievement: dict[str, Any] = {
        "id": achievement_id,
        "type": ["Achievement"],
        "achievementType": ENGAGEMENT_TYPE,
        "name": f"Micro-internship: {facts.title}",
        "description": f"A paid, project-based micro-internship with {facts.employer}.",
        "criteria": {"narrative": _narrative(facts)},
        "creator": issuer,
    }
    if targets:
        achievement["alignment"] = [_alignment(t) for t in targets]
    if facts.ratings:
        achievement["resultDescription"] = [
            _result_description(achievement_id, r) for r in facts.ratings
        ]
    body: dict[str, Any] = {"type": ["AchievementSubject"], **subject.properties()}
    body["achievement"] = achievement
    if facts.ratings:
        body["result"] = [_result(achievement_id, r) for r in facts.ratings]
    doc = _credential(issuer, f"{facts.title} with {facts.employer}", body, issued_at)
    evidence = _evidence(facts, choice)
    if evidence:
        doc["evidence"] = evidence
    return doc


def award_credential(
    issuer: dict[str, Any], facts: AwardFacts, subject: Subject, issued_at: dt.datetime
) -> dict[str, Any]:
    """The OpenBadgeCredential of a final credit award (unsigned, no status)."""
    achievement_id = stable_id(issuer["id"], "course-credit", facts.course_id)
    plural = "s" if facts.credits != 1 else ""
    work = "; ".join(facts.engagements) or "micro-internships"
    rd_id = stable_id(achievement_id, "grade", facts.grading_mode)
    grade_rd: dict[str, Any] = {
        "id": rd_id,
        "type": ["ResultDescription"],
        "name": "Grade",
        "resultType": GRADE_RESULT_TYPES.get(facts.grading_mode, "Result"),
    }
    if facts.grading_mode == "points":
        grade_rd["valueMax"] = f"{facts.score_maximum:g}"
    achievement: dict[str, Any] = {
        "id": achievement_id,
        "type": ["Achievement"],
        "achievementType": AWARD_TYPE,
        "name": f"Academic credit for micro-internships: {facts.course_title}",
        "description": "Academic credit awarded by the course's instructor for supervised, "
        "evaluated micro-internship work.",
        "criteria": {
            "narrative": (
                f"Awarded {facts.credits} academic credit{plural} (grade {facts.grade_label}) "
                f"on {facts.decided_on.isoformat()} in {facts.course_title} for "
                f"{_hours(facts.hours)} of approved work in: {work}."
            )
        },
        "creditsAvailable": float(facts.credits),
        "resultDescription": [grade_rd],
        "creator": issuer,
    }
    if facts.targets or facts.outcomes:
        achievement["alignment"] = [_alignment(t) for t in facts.targets + facts.outcomes]
    body: dict[str, Any] = {"type": ["AchievementSubject"], **subject.properties()}
    body["achievement"] = achievement
    body["creditsEarned"] = float(facts.credits)
    body["result"] = [
        {
            "type": ["Result"],
            "resultDescription": rd_id,
            "value": facts.grade_label,
            "status": "Completed",
        }
    ]
    name = f"{facts.credits} credit{plural}: {facts.course_title}"
    return _credential(issuer, name, body, issued_at)


def clr_credential(
    issuer: dict[str, Any],
    subject: Subject,
    credentials: list[dict[str, Any]],
    issued_at: dt.datetime,
) -> dict[str, Any]:
    """The CLR 2.0 ClrCredential bundling the signed credentials given (unsigned). Its
    contexts are VC 2.0 and CLR 2.0.1, then OB 3.0.3 as CLR 2.0's examples carry it: the CLR
    context defines only the CLR's own terms, the achievements it lists are OB 3.0's."""
    body: dict[str, Any] = {"type": ["ClrSubject"], **subject.properties()}
    body["verifiableCredential"] = credentials
    body["achievement"] = [c["credentialSubject"]["achievement"] for c in credentials]
    return {
        "@context": [VC_V2, CLR_CONTEXT, OB_CONTEXT],
        "id": f"urn:uuid:{uuid.uuid4()}",
        "type": list(CLR_TYPE),
        "issuer": issuer,
        "validFrom": timestamp(issued_at),
        "name": "Co-curricular record: micro-internships and academic credit",
        "description": "Every micro-internship completed and every credit award earned, as "
        "the institution issued them.",
        "credentialSubject": body,
    }
