"""Fault injection: what the score endpoint answers instead of a score, armed by tests and
benchmarks."""

from __future__ import annotations

from typing import Any

from ...extensions import db
from ...models import utcnow
from ..errors import ApiError
from ..models import (
    SandboxFaults,
)
from ..tokens import expire_all_tokens


def _faults() -> SandboxFaults:
    faults = db.session.get(SandboxFaults, 1)
    if faults is None:
        faults = SandboxFaults(
            id=1,
            score_500=0,
            score_429=0,
            score_429_retry_after=1,
            fail_rate=0.0,
            injected_500=0,
            injected_429=0,
        )
        db.session.add(faults)
        db.session.flush()
    return faults


def faults_json() -> dict[str, Any]:
    """The armed faults and how many were injected so far."""
    faults = _faults()
    return {
        "score_500": faults.score_500,
        "score_429": faults.score_429,
        "score_429_retry_after": faults.score_429_retry_after,
        "fail_rate": faults.fail_rate,
        "injected_500": faults.injected_500,
        "injected_429": faults.injected_429,
    }


def set_faults(body: Any) -> dict[str, Any]:
    """Arm faults for the next score posts (counts replace the current ones)."""
    if not isinstance(body, dict):
        raise ApiError(400, "The body must be a JSON object.")
    known = {
        "score_500",
        "score_429",
        "score_429_retry_after",
        "expire_tokens",
        "fail_rate",
        "reset",
    }
    unknown = sorted(set(body) - known)
    if unknown:
        raise ApiError(400, f"Unknown fault setting(s): {', '.join(unknown)}.")
    faults = _faults()
    if body.get("reset"):
        faults.score_500 = faults.score_429 = faults.injected_500 = faults.injected_429 = 0
        faults.fail_rate, faults.score_429_retry_after = 0.0, 1
    for name in ("score_500", "score_429", "score_429_retry_after"):
        if name in body:
            value = body[name]
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ApiError(400, f"{name} must be a whole number, 0 or more.")
            setattr(faults, name, value)
    if "fail_rate" in body:
        rate = body["fail_rate"]
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate <= 1:
            raise ApiError(400, "fail_rate must be a number from 0 to 1.")
        faults.fail_rate = float(rate)
    faults.updated_at = utcnow()
    expired = expire_all_tokens() if body.get("expire_tokens") is True else 0
    db.session.flush()
    return {**faults_json(), "expired_tokens": expired}
