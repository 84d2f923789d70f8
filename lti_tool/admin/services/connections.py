"""Connector credentials per platform registration: the Canvas REST URL and OAuth2 developer key,
the Moodle web-service URL and token. Secrets are encrypted at rest and never shown again in full
(pages and the CLI show the last four characters).

Changes take the ``Actor`` first, audit without secrets, flush; callers commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import select

from connectors.errors import failure_detail, log_unreachable

from ... import netguard
from ...actor import Actor
from ...errors import NotFoundError, PolicyViolationError
from ...extensions import db
from ...models import Registration, utcnow
from ...services import audit
from ..models import ConnectorCredentials


@dataclass(frozen=True)
class CredentialsUpdate:
    """New values; ``None`` keeps what is stored, ``""`` clears it."""

    canvas_url: str | None = None
    canvas_oauth_client_id: str | None = None
    canvas_oauth_client_secret: str | None = None
    moodle_url: str | None = None
    moodle_ws_token: str | None = None


@dataclass(frozen=True)
class CredentialsSummary:
    """What a page may show: URLs and ids in full, secrets as their last four characters."""

    registration_id: int
    registration_name: str
    issuer: str
    client_id: str
    canvas_url: str
    canvas_oauth_client_id: str
    canvas_secret_hint: str
    moodle_url: str
    moodle_token_hint: str


def last4(secret: str | None) -> str:
    """'…abcd' for a stored secret, '' when none is stored."""
    return f"…{secret[-4:]}" if secret else ""


def _clean_url(value: str, what: str, *, allow_http: bool, allow_private: bool) -> str:
    value = value.strip().rstrip("/")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a port out of range
    except ValueError:
        parts = urlsplit("")
    schemes = ("https", "http") if allow_http else ("https",)
    if parts.scheme not in schemes or not parts.hostname or parts.query or parts.fragment:
        raise PolicyViolationError(
            f"The {what} must be a full https:// address such as https://school.instructure.com.",
            reason="bad_url",
        )
    if allow_private:  # the sandbox: any address, checked (and pinned) only when used
        return value
    try:
        # early and readable; every call is checked again, pinned, by netguard.session()
        netguard.check_public_host(value)
    except netguard.AddressRefusedError as exc:
        log_unreachable(what, value, failure_detail(exc))
        raise PolicyViolationError(
            f"{netguard.GENERIC_MESSAGE} The {what} must be the LMS's public address on the "
            "internet.",
            hint="Copy the address from the browser's address bar while you use the LMS.",
            reason="unreachable_url",
        ) from None
    return value


def credentials_for(registration_id: int) -> ConnectorCredentials | None:
    """The stored credentials of a registration, if any."""
    return db.session.scalar(
        select(ConnectorCredentials).where(ConnectorCredentials.registration_id == registration_id)
    )


def _given_values(
    update: CredentialsUpdate, *, allow_http: bool, allow_private: bool
) -> dict[str, str | None]:
    """The fields the update names, checked: LMS addresses public (unless allowed), keys and
    tokens one word; an empty value clears its field."""
    values: dict[str, str | None] = {}
    for name in ("canvas_url", "moodle_url"):
        raw = getattr(update, name)
        if raw is not None:
            label = "Canvas address" if name == "canvas_url" else "Moodle address"
            values[name] = (
                _clean_url(raw, label, allow_http=allow_http, allow_private=allow_private)
                if raw.strip()
                else None
            )
    for name in ("canvas_oauth_client_id", "canvas_oauth_client_secret", "moodle_ws_token"):
        raw = getattr(update, name)
        if raw is not None:
            raw = raw.strip()
            if any(c.isspace() for c in raw) or len(raw) > 1000:
                raise PolicyViolationError(
                    f"The {name.replace('_', ' ')} must be one word without spaces, "
                    "as the LMS shows it.",
                    reason="bad_secret",
                )
            values[name] = raw or None
    return values


def _refuse_incomplete(creds: ConnectorCredentials) -> None:
    """A Canvas key needs its secret, and a key or token needs its LMS address."""
    secret = creds.canvas_oauth_client_secret
    if bool(creds.canvas_oauth_client_id) != bool(secret):
        raise PolicyViolationError(
            "A Canvas developer key needs both its client id and its secret.",
            reason="incomplete_canvas_key",
        )
    if (creds.canvas_oauth_client_id and not creds.canvas_url) or (
        creds.moodle_ws_token and not creds.moodle_url
    ):
        raise PolicyViolationError(
            "Give the LMS address together with its key or token.", reason="missing_url"
        )


def set_credentials(
    actor: Actor,
    registration: Registration,
    update: CredentialsUpdate,
    *,
    allow_http: bool,
    allow_private: bool | None = None,
) -> ConnectorCredentials:
    """Store (or change, or clear) a registration's connector credentials; an LMS address must
    resolve to public addresses only unless ``allow_private`` (default: the configuration's
    ``netguard.allow_private_hosts()``, true in development and tests)."""
    if allow_private is None:
        allow_private = netguard.allow_private_hosts()
    values = _given_values(update, allow_http=allow_http, allow_private=allow_private)
    creds = credentials_for(registration.id)
    if creds is None:
        creds = ConnectorCredentials(
            tenant_id=registration.tenant_id, registration_id=registration.id
        )
        db.session.add(creds)
    changed = sorted(k for k, v in values.items() if getattr(creds, k) != v)
    for key, value in values.items():
        setattr(creds, key, value)
    _refuse_incomplete(creds)
    creds.updated_by = actor.name
    creds.updated_at = utcnow()
    # the audit names what changed, never a value
    audit.record(
        actor,
        "connectors.credentials",
        registration.tenant_id,
        registration_id=registration.id,
        changed=changed,
    )
    db.session.flush()
    return creds


def summaries(tenant_id: int) -> list[CredentialsSummary]:
    """Every registration of the tenant with what its credentials may show."""
    regs = db.session.scalars(
        select(Registration).where(Registration.tenant_id == tenant_id).order_by(Registration.id)
    ).all()
    out = []
    for reg in regs:
        creds = credentials_for(reg.id)
        out.append(
            CredentialsSummary(
                registration_id=reg.id,
                registration_name=reg.name,
                issuer=reg.issuer,
                client_id=reg.client_id,
                canvas_url=(creds and creds.canvas_url) or "",
                canvas_oauth_client_id=(creds and creds.canvas_oauth_client_id) or "",
                canvas_secret_hint=last4(creds.canvas_oauth_client_secret if creds else None),
                moodle_url=(creds and creds.moodle_url) or "",
                moodle_token_hint=last4(creds.moodle_ws_token if creds else None),
            )
        )
    return out


def tenant_registration(tenant_id: int, registration_id: int) -> Registration:
    """One of the tenant's registrations, or NotFoundError."""
    reg = db.session.get(Registration, registration_id)
    if reg is None or reg.tenant_id != tenant_id:
        raise NotFoundError("There is no such platform registration at your institution.")
    return reg
