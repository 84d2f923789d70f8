"""A credential checked for a person: its signature, its status and its issuer (``proof``),
the answer in words (valid, revoked, changed after issue, not issued by this institution)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

HEADLINES = {
    "valid": "Valid",
    "revoked": "Revoked",
    "invalid": "Not valid",
    "unknown_issuer": "Not issued by this institution",
}
EXPLAINED = {
    "valid": "The signature matches the content, and the issuer has not revoked it.",
    "revoked": "The issuer revoked this credential: it no longer counts.",
    "invalid": "This credential cannot be trusted as it is.",
    "unknown_issuer": "This institution did not issue it, so it cannot vouch for it here.",
}


@dataclass(frozen=True)
class Result:
    state: str  # "valid" | "revoked" | "invalid" | "unknown_issuer"
    headline: str
    explanation: str
    reason: str  # proof's own words about what failed ("" when valid)

    @property
    def ok(self) -> bool:
        return self.state == "valid"

    @property
    def tone(self) -> str:
        return {"valid": "success", "revoked": "warning"}.get(self.state, "danger")


def check(document: dict[str, Any], tenant_id: int | None = None) -> Result:
    """Verify a credential document and say the outcome in words; with ``tenant_id``, a
    document another institution signed is "not issued by this institution"."""
    from ..proof import verify

    outcome = verify(document)
    state = outcome.state if outcome.state in HEADLINES else "invalid"
    if tenant_id is not None and outcome.issuer_tenant_id not in (None, tenant_id):
        return Result(
            "unknown_issuer", HEADLINES["unknown_issuer"], EXPLAINED["unknown_issuer"], ""
        )
    reason = "" if state == "valid" else str(outcome.reason or "")
    return Result(state, HEADLINES[state], EXPLAINED[state], reason)
