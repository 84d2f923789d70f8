"""Retention: what is deleted when, per tenant, enforced by ``flask --app lti_tool maintenance
purge`` (the in-process job runner and Celery beat run it hourly).

- Launches past their expiry and OIDC login state/nonce records past theirs: every run (so
  within a day — within an hour with the scheduler — of expiring).
- Uploaded files (résumés, deliverables): ``files_days`` after the engagement ends (default 365),
  by the rules each module registers with ``register_file_rule``.
- Audit entries: after ``audit_days`` (default 2555, about seven years).

Per tenant, ``tenant.settings["retention"] = {"files_days": N, "audit_days": M}`` overrides the
defaults ``RETENTION_FILES_DAYS`` / ``RETENTION_AUDIT_DAYS``. The log and the audit entry of a
purge hold counts only, never personal data.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import delete, select

from ..actor import Actor
from ..extensions import db
from ..models import AuditEntry, Launch, Tenant, utcnow
from ..services import audit
from ..tenants import get_tenant

log = logging.getLogger("career_credit.retention")

DEFAULT_FILES_DAYS = 365
DEFAULT_AUDIT_DAYS = 2555
MIN_DAYS = 1
ACTOR = "retention"

# A rule deletes a module's expired files of one tenant: (tenant_id, cutoff date) -> counts.
FileRule = Callable[[int, dt.date], dict[str, int]]
_file_rules: dict[str, FileRule] = {}


def register_file_rule(name: str) -> Callable[[FileRule], FileRule]:
    """Register a module's rule for deleting files whose retention has passed."""

    def register(rule: FileRule) -> FileRule:
        _file_rules[name] = rule
        return rule

    return register


@dataclass(frozen=True)
class Policy:
    files_days: int
    audit_days: int


def _days(value: Any, default: int) -> int:
    try:
        days = int(value)
    except (TypeError, ValueError):
        return default
    return max(days, MIN_DAYS)


def policy_for(tenant: Tenant | None) -> Policy:
    """The tenant's retention periods (the configured defaults where it sets none)."""
    cfg = current_app.config
    defaults = Policy(
        _days(cfg["RETENTION_FILES_DAYS"], DEFAULT_FILES_DAYS),
        _days(cfg["RETENTION_AUDIT_DAYS"], DEFAULT_AUDIT_DAYS),
    )
    rules = ((tenant.settings or {}).get("retention") or {}) if tenant else {}
    return Policy(
        _days(rules.get("files_days"), defaults.files_days),
        _days(rules.get("audit_days"), defaults.audit_days),
    )


def set_policy(actor: Actor, files_days: int | None, audit_days: int | None) -> Policy:
    """Change the actor's tenant's retention periods (audited); flushes."""
    tenant = get_tenant(actor.tenant)
    old = policy_for(tenant)
    rules = dict((tenant.settings or {}).get("retention") or {})
    if files_days is not None:
        rules["files_days"] = _days(files_days, old.files_days)
    if audit_days is not None:
        rules["audit_days"] = _days(audit_days, old.audit_days)
    tenant.settings = {**(tenant.settings or {}), "retention": rules}
    new = policy_for(tenant)
    audit.record(actor, "retention.policy", old=vars(old), new=vars(new))
    db.session.flush()
    return new


def purge_sessions(now: dt.datetime) -> dict[str, int]:
    """Expired launches and OIDC state/nonce records."""
    from ..lti.storage import purge_expired

    states = purge_expired()
    result = db.session.execute(delete(Launch).where(Launch.expires_at < now))
    launches = int(getattr(result, "rowcount", 0) or 0)
    return {"login_states": int(states or 0), "launches": launches}


def purge(now: dt.datetime | None = None) -> dict[str, int]:
    """Apply every retention rule once; returns what was removed (counts). Flushes per tenant;
    the caller commits."""
    now = now or utcnow()
    totals: Counter[str] = Counter(purge_sessions(now))
    for tenant in db.session.scalars(select(Tenant).order_by(Tenant.id)).all():
        policy = policy_for(tenant)
        removed: Counter[str] = Counter()
        cutoff = now.date() - dt.timedelta(days=policy.files_days)
        for rule in _file_rules.values():
            removed.update(rule(tenant.id, cutoff))
        removed["audit_entries"] += _purge_audit(tenant.id, now - dt.timedelta(policy.audit_days))
        removed = Counter({k: v for k, v in removed.items() if v})
        if removed:
            audit.record(ACTOR, "retention.purge", tenant.id, removed=dict(removed))
        db.session.flush()
        totals.update(removed)
    default = policy_for(None)
    totals["audit_entries"] += _purge_audit(None, now - dt.timedelta(default.audit_days))
    counts = {key: int(value) for key, value in sorted(totals.items())}
    log.info("retention purge removed: %s", ", ".join(f"{k} {v}" for k, v in counts.items()))
    return counts


def _purge_audit(tenant_id: int | None, before: dt.datetime) -> int:
    tenant_clause = (
        AuditEntry.tenant_id.is_(None) if tenant_id is None else AuditEntry.tenant_id == tenant_id
    )
    result = db.session.execute(
        delete(AuditEntry).where(tenant_clause, AuditEntry.created_at < before)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def run_scheduled(app: Any) -> dict[str, int] | None:
    """Apply retention in its own app context and transaction if ``MAINTENANCE_INTERVAL_S`` has
    passed since this process last did (the in-process job runner calls this every cycle)."""
    import time

    interval = float(app.config["MAINTENANCE_INTERVAL_S"])
    last = app.extensions.get("retention_last_run")
    now = time.monotonic()
    if last is not None and now - last < interval:
        return None
    app.extensions["retention_last_run"] = now
    with app.app_context():
        try:
            counts = purge()
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("retention purge failed; it runs again at the next interval")
            return None
    return counts
