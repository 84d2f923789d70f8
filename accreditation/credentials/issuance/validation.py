"""Checks of a document against the Open Badges 3.0 and CLR 2.0 data models: the required
properties, their types and the contexts of 1EdTech's specifications (OB 3.0 §B.1, CLR 2.0
§B.1, VC Data Model 2.0 §4). No package on PyPI or npm carries 1EdTech's JSON Schemas, so these
are written from the specifications' tables of required properties; the issuer runs them before
it signs (a document that fails is never issued) and the tests run them on what was issued.

``problems(document)`` returns a list of ``path: what is wrong`` (empty when valid)."""

from __future__ import annotations

import re
from typing import Any

from .documents import CLR_CONTEXT, OB_CONTEXT, VC_V2

URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
IDENTITY_HASH = re.compile(r"^(sha256\$[0-9a-f]{64}|md5\$[0-9a-f]{32})$")
ACHIEVEMENT_TYPES = frozenset(
    [
        "Achievement",
        "ApprenticeshipCertificate",
        "Assessment",
        "Assignment",
        "AssociateDegree",
        "Award",
        "Badge",
        "BachelorDegree",
        "Certificate",
        "CertificateOfCompletion",
        "Certification",
        "CoCurricular",
        "CommunityService",
        "Competency",
        "Course",
        "Degree",
        "Diploma",
        "DoctoralDegree",
        "Fieldwork",
        "GeneralEducationDevelopment",
        "JourneymanCertificate",
        "LearningProgram",
        "License",
        "Membership",
        "ProfessionalDoctorate",
        "QualityAssuranceCredential",
        "MasterCertificate",
        "MasterDegree",
        "MicroCredential",
        "ResearchDoctorate",
        "SecondarySchoolDiploma",
    ]
)
RESULT_TYPES = frozenset(
    [
        "GradePointAverage",
        "LetterGrade",
        "Percent",
        "PerformanceLevel",
        "PredictedScore",
        "RawScore",
        "Result",
        "RubricCriterion",
        "RubricCriterionLevel",
        "RubricScore",
        "ScaledScore",
        "Status",
    ]
)


class _Check:
    def __init__(self) -> None:
        self.problems: list[str] = []

    def fail(self, path: str, what: str) -> None:
        self.problems.append(f"{path}: {what}")

    def obj(self, value: Any, path: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.fail(path, "must be an object")
            return {}
        return value

    def required(self, node: dict[str, Any], path: str, *names: str) -> None:
        for name in names:
            if node.get(name) in (None, "", []):
                self.fail(f"{path}.{name}", "is required")

    def uri(self, value: Any, path: str) -> None:
        if not (isinstance(value, str) and URI.match(value)):
            self.fail(path, "must be a URI")

    def types(self, node: dict[str, Any], path: str, *needed: str) -> None:
        value = node.get("type")
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list) or any(t not in values for t in needed):
            self.fail(f"{path}.type", f"must include {', '.join(needed)}")

    def text(self, node: dict[str, Any], path: str, name: str) -> None:
        if not (isinstance(node.get(name), str) and node[name].strip()):
            self.fail(f"{path}.{name}", "must be a non-empty string")


def _profile(c: _Check, value: Any, path: str) -> None:
    if isinstance(value, str):
        c.uri(value, path)
        return
    node = c.obj(value, path)
    c.uri(node.get("id"), f"{path}.id")
    c.types(node, path, "Profile")


def _alignments(c: _Check, node: dict[str, Any], path: str) -> None:
    for i, a in enumerate(node.get("alignment") or []):
        here = f"{path}.alignment[{i}]"
        a = c.obj(a, here)
        c.types(a, here, "Alignment")
        c.text(a, here, "targetName")
        c.uri(a.get("targetUrl"), f"{here}.targetUrl")


def _result_descriptions(c: _Check, node: dict[str, Any], path: str) -> set[str]:
    ids: set[str] = set()
    for i, rd in enumerate(node.get("resultDescription") or []):
        here = f"{path}.resultDescription[{i}]"
        rd = c.obj(rd, here)
        c.uri(rd.get("id"), f"{here}.id")
        ids.add(str(rd.get("id")))
        c.types(rd, here, "ResultDescription")
        c.text(rd, here, "name")
        kind = rd.get("resultType", "")
        if kind not in RESULT_TYPES and not str(kind).startswith("ext:"):
            c.fail(f"{here}.resultType", "is not an OB 3.0 ResultType")
        for j, level in enumerate(rd.get("rubricCriterionLevel") or []):
            at = f"{here}.rubricCriterionLevel[{j}]"
            level = c.obj(level, at)
            c.uri(level.get("id"), f"{at}.id")
            ids.add(str(level.get("id")))
            c.types(level, at, "RubricCriterionLevel")
            c.text(level, at, "name")
        _alignments(c, rd, here)
    return ids


def _achievement(c: _Check, value: Any, path: str) -> set[str]:
    node = c.obj(value, path)
    c.uri(node.get("id"), f"{path}.id")
    c.types(node, path, "Achievement")
    c.text(node, path, "name")
    c.text(node, path, "description")
    criteria = c.obj(node.get("criteria"), f"{path}.criteria")
    if not (criteria.get("id") or criteria.get("narrative")):
        c.fail(f"{path}.criteria", "needs an id or a narrative")
    kind = node.get("achievementType")
    if kind is not None and kind not in ACHIEVEMENT_TYPES and not str(kind).startswith("ext:"):
        c.fail(f"{path}.achievementType", "is not an OB 3.0 AchievementType")
    _alignments(c, node, path)
    return _result_descriptions(c, node, path)


def _identity(c: _Check, subject: dict[str, Any], path: str) -> None:
    if subject.get("id") is not None:
        c.uri(subject["id"], f"{path}.id")
        return
    identifiers = subject.get("identifier")
    if not identifiers:
        c.fail(path, "needs an id or an identifier")
        return
    for i, ident in enumerate(identifiers):
        here = f"{path}.identifier[{i}]"
        ident = c.obj(ident, here)
        c.types(ident, here, "IdentityObject")
        c.required(ident, here, "identityHash", "identityType")
        if not isinstance(ident.get("hashed"), bool):
            c.fail(f"{here}.hashed", "must be a boolean")
        if ident.get("hashed") and not IDENTITY_HASH.match(str(ident.get("identityHash"))):
            c.fail(f"{here}.identityHash", "must be sha256$<64 hex> or md5$<32 hex>")


def _common(c: _Check, doc: dict[str, Any], contexts: tuple[str, ...], kind: str) -> None:
    context = doc.get("@context")
    if not isinstance(context, list) or list(context[: len(contexts)]) != list(contexts):
        c.fail("@context", f"must begin with {', '.join(contexts)}")
    c.uri(doc.get("id"), "id")
    c.types(doc, "", "VerifiableCredential", kind)
    _profile(c, doc.get("issuer"), "issuer")
    if not DATETIME.match(str(doc.get("validFrom", ""))):
        c.fail("validFrom", "must be a date-time")
    c.text(doc, "", "name")
    status = doc.get("credentialStatus")
    if status is not None:
        status = c.obj(status, "credentialStatus")
        c.types(status, "credentialStatus", "BitstringStatusListEntry")
        c.required(
            status, "credentialStatus", "statusPurpose", "statusListIndex", "statusListCredential"
        )
    for i, ev in enumerate(doc.get("evidence") or []):
        c.types(c.obj(ev, f"evidence[{i}]"), f"evidence[{i}]", "Evidence")


def _achievement_subject(c: _Check, value: Any, path: str) -> None:
    subject = c.obj(value, path)
    c.types(subject, path, "AchievementSubject")
    _identity(c, subject, path)
    ids = _achievement(c, subject.get("achievement"), f"{path}.achievement")
    for i, result in enumerate(subject.get("result") or []):
        here = f"{path}.result[{i}]"
        result = c.obj(result, here)
        c.types(result, here, "Result")
        for ref in ("resultDescription", "achievedLevel"):
            if ref in result and result[ref] not in ids:
                c.fail(f"{here}.{ref}", "names no result description or level of the achievement")


def ob_problems(doc: dict[str, Any]) -> list[str]:
    """What is wrong with an OpenBadgeCredential (empty when nothing is)."""
    c = _Check()
    _common(c, doc, (VC_V2, OB_CONTEXT), "OpenBadgeCredential")
    _achievement_subject(c, doc.get("credentialSubject"), "credentialSubject")
    return c.problems


def clr_problems(doc: dict[str, Any]) -> list[str]:
    """What is wrong with a ClrCredential, and with each credential it bundles."""
    c = _Check()
    _common(c, doc, (VC_V2, CLR_CONTEXT), "ClrCredential")
    subject = c.obj(doc.get("credentialSubject"), "credentialSubject")
    c.types(subject, "credentialSubject", "ClrSubject")
    _identity(c, subject, "credentialSubject")
    bundled = subject.get("verifiableCredential")
    if not isinstance(bundled, list) or not bundled:
        c.fail("credentialSubject.verifiableCredential", "needs at least one credential")
        bundled = []
    for i, credential in enumerate(bundled):
        for problem in ob_problems(c.obj(credential, f"verifiableCredential[{i}]")):
            c.fail(f"credentialSubject.verifiableCredential[{i}]", problem)
    for i, achievement in enumerate(subject.get("achievement") or []):
        _achievement(c, achievement, f"credentialSubject.achievement[{i}]")
    return c.problems


def problems(doc: dict[str, Any]) -> list[str]:
    """The checks of the document's kind (CLR or Open Badge)."""
    kinds = doc.get("type") or []
    return clr_problems(doc) if "ClrCredential" in kinds else ob_problems(doc)
