"""The tool's RSA keys, per tenant: each tenant signs with keys of its own, published at its own
JWKS URL ``/lti/jwks/<tenant.key_set_id>``, so an LMS that trusts one institution's key set
never accepts what the tool signs for another institution (a registration that copies another
institution's client id and token URL gets an assertion that institution's LMS refuses).

The installation's keys (``tenant_id`` null) stay published at ``/lti/jwks`` for existing
installs: they sign only for tenants marked ``legacy_keys`` (those that existed before keys
were per tenant), until the operator runs ``keys rotate --tenant NAME``.

Every key exists before anything publishes or signs with it, and reading a key set never
writes: a new tenant gets its key when it is created; the tenant set-up (``set_up_tenant``, run
at tenant creation and at each launch, a POST) gives a tenant without one its key, and a legacy
tenant the installation's; ``flask keys rotate`` and ``keys list`` make the installation's
when there is none. A new installation, whose tenants all sign with their own keys, publishes
an empty legacy key set until then.

Keys rotate with a grace period so platforms' cached key sets catch up before anything is
signed with a new key; private keys are stored encrypted (``crypto.EncryptedText``)."""

from __future__ import annotations

import datetime as dt
import functools
import json
import secrets
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwcrypto.jwk import JWK
from sqlalchemy import ColumnElement, bindparam, select
from sqlalchemy.orm import defer

from ..actor import Actor
from ..extensions import db
from ..models import Tenant, ToolKey, utcnow
from ..services import audit


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_pem: str

    @property
    def private_key(self) -> rsa.RSAPrivateKey:
        """The key, parsed once per process (what PyJWT signs with)."""
        return parsed_private_key(self.private_pem)


@functools.lru_cache(maxsize=64)
def parsed_private_key(pem: str) -> rsa.RSAPrivateKey:
    """The RSA private key of ``pem``, parsed once per process and kept (64 at most, for the
    tenants' and the sandbox platforms' keys). Parsing checks the key, 26 ms of CPU; PyJWT
    given the PEM did that for every message it signed (0.2 ms with the parsed key)."""
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("The key is not an RSA private key.")
    return key


def _new_key(signing_from: dt.datetime, tenant_id: int | None = None) -> ToolKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    kid = secrets.token_urlsafe(16)
    public = JWK.from_pem(pem.encode()).export_public(as_dict=True)
    public.update({"kid": kid, "alg": "RS256", "use": "sig"})
    return ToolKey(
        kid=kid, private_pem=pem, public_jwk=public, signing_from=signing_from, tenant_id=tenant_id
    )


def _owner(tenant_id: int | None) -> ColumnElement[bool]:
    return ToolKey.tenant_id.is_(None) if tenant_id is None else ToolKey.tenant_id == tenant_id


@functools.cache
def _published(installation: bool) -> Any:
    """The published keys of the installation, or of a tenant (bound as ``t``), built once."""
    owner = ToolKey.tenant_id.is_(None) if installation else ToolKey.tenant_id == bindparam("t")
    return (
        select(ToolKey)
        .options(defer(ToolKey.private_pem))
        .where(owner, ToolKey.retired_at.is_(None))
        .order_by(ToolKey.created_at, ToolKey.id)
    )


def published_keys(tenant_id: int | None = None) -> list[ToolKey]:
    """The installation's (or the tenant's own) published keys, oldest first; the
    (encrypted) private key loads only when read."""
    return list(db.session.scalars(_published(tenant_id is None), {"t": tenant_id}))


def _ensure_owned_key(tenant_id: int | None) -> bool:
    """Create the first key of the installation (``None``) or of a tenant, signing at once (no
    LMS has seen another key of it yet); audited, flushes. Whether one was stored already."""
    if db.session.scalar(select(ToolKey.id).where(_owner(tenant_id)).limit(1)) is not None:
        return True
    db.session.add(_new_key(utcnow(), tenant_id))
    audit.record("career-credit", "key.create", tenant_id)
    db.session.flush()
    return False


def ensure_key() -> None:
    """Create the installation's first key if there is none. Flushes; the caller commits."""
    _ensure_owned_key(None)


def ensure_tenant_key(tenant: Tenant) -> None:
    """Give a tenant that signs with keys of its own its first key. Flushes; the caller
    commits."""
    if not tenant.legacy_keys:
        _ensure_owned_key(tenant.id)


# Tenants (per database) this process has seen with the key they sign with stored: the set-up
# runs at every launch and after the first asks nothing (a tenant leaves the installation's keys
# only once its own key signs, so a key stays there for it). Only a key found stored is
# remembered, not one this call creates (a rollback would take it back).
_KEYED: set[tuple[str, int]] = set()


def set_up_tenant(tenant_id: int) -> None:
    """The tenant set-up hook (``lti_tool.tenants``): the key the tenant signs with exists (its
    own; for a legacy tenant the installation's) before anything publishes or signs with it."""
    seen = (str(db.engine.url), tenant_id)
    if seen in _KEYED:
        return
    tenant = db.session.get(Tenant, tenant_id)
    if tenant is None:
        return
    if _ensure_owned_key(None if tenant.legacy_keys else tenant_id):
        _KEYED.add(seen)


def jwks() -> dict:
    """The installation's legacy key set at /lti/jwks: ``{"keys": [...]}``. Reads only."""
    return {"keys": [key.public_jwk for key in published_keys()]}


def _own_signer(tenant_id: int, now: dt.datetime) -> ToolKey | None:
    return db.session.scalar(
        select(ToolKey)
        .where(_owner(tenant_id), ToolKey.retired_at.is_(None), ToolKey.signing_from <= now)
        .order_by(ToolKey.created_at.desc(), ToolKey.id.desc())
        .limit(1)
    )


def _get_tenant(tenant_id: int) -> Tenant:
    tenant = db.session.get(Tenant, tenant_id)
    if tenant is None:
        raise LookupError(f"There is no tenant {tenant_id}.")
    return tenant


def signs_with_legacy_keys(tenant: Tenant, now: dt.datetime | None = None) -> bool:
    """Whether the tenant still signs with the installation's keys: a tenant from before keys
    were per tenant, until a key of its own has passed its grace period."""
    return tenant.legacy_keys and _own_signer(tenant.id, now or utcnow()) is None


def tenant_jwks(tenant: Tenant) -> dict:
    """The tenant's key set at /lti/jwks/<key_set_id>: its own published keys, plus the
    installation's while the tenant still signs with them (so an LMS can switch to this URL
    any time during the move). Reads only: a tenant's first key is made when the tenant is
    created (or by signing or ``keys rotate --tenant``); without one the set is empty."""
    found = [key.public_jwk for key in published_keys(tenant.id)]
    if signs_with_legacy_keys(tenant):
        found = [key.public_jwk for key in published_keys()] + found
    return {"keys": found}


def _global_signing_key(now: dt.datetime) -> SigningKey:
    ensure_key()
    key = db.session.scalar(
        select(ToolKey)
        .where(_owner(None), ToolKey.retired_at.is_(None), ToolKey.signing_from <= now)
        .order_by(ToolKey.created_at.desc(), ToolKey.id.desc())
        .limit(1)
    )
    if key is None:  # every key still in grace: sign with the oldest published one
        key = published_keys()[0]
    return SigningKey(kid=key.kid, private_pem=key.private_pem)


def signing_key(tenant_id: int | None = None, *, now: dt.datetime | None = None) -> SigningKey:
    """The key that signs for this tenant now: the newest of its own keys whose grace period
    has passed (the oldest if all are in grace), or the installation's while the tenant is a
    legacy one without a ready key. Without a tenant: the installation's legacy key."""
    now = now or utcnow()
    if tenant_id is None:
        return _global_signing_key(now)
    tenant = _get_tenant(tenant_id)
    key = _own_signer(tenant_id, now)
    if key is None:
        if tenant.legacy_keys:
            return _global_signing_key(now)
        ensure_tenant_key(tenant)
        key = _own_signer(tenant_id, now) or published_keys(tenant_id)[0]
    return SigningKey(kid=key.kid, private_pem=key.private_pem)


def rotate(actor: Actor, grace: dt.timedelta) -> ToolKey:
    """Publish a new key (the actor's tenant's, or the installation's for an installation-wide
    actor) now; it signs once ``grace`` has passed."""
    tenant_id = actor.tenant_id
    if tenant_id is not None:
        ensure_tenant_key(_get_tenant(tenant_id))
    key = _new_key(utcnow() + grace, tenant_id)
    db.session.add(key)
    audit.record(
        actor, "key.rotate", tenant_id, kid=key.kid, signing_from=key.signing_from.isoformat()
    )
    db.session.flush()
    return key


def retire(actor: Actor, kid: str | None = None) -> list[str]:
    """Unpublish the actor's tenant's keys (the installation's for an installation-wide actor)
    no longer used for signing (or the one named); returns their kids."""
    tenant_id = actor.tenant_id
    own = tenant_id is not None and not signs_with_legacy_keys(_get_tenant(tenant_id))
    current = signing_key(tenant_id).kid if own or tenant_id is None else None
    query = select(ToolKey).where(_owner(tenant_id), ToolKey.retired_at.is_(None))
    if current is not None:
        query = query.where(ToolKey.kid != current)
    if kid:
        if kid == current:
            raise ValueError(f"Key {kid} is the current signing key; rotate first.")
        query = query.where(ToolKey.kid == kid)
    current_created = (
        db.session.scalar(select(ToolKey.created_at).where(ToolKey.kid == current))
        if current
        else None
    )
    if own and tenant_id is not None:
        tenant = _get_tenant(tenant_id)
        if tenant.legacy_keys:  # its own key signs now: the installation's no longer do for it
            tenant.legacy_keys = False
            audit.record(actor, "key.legacy_ended", tenant_id)
    retired = []
    for key in db.session.scalars(query):
        if current is None or (current_created is not None and key.created_at > current_created):
            continue  # a newer key still in its grace period (or the tenant's only ones): keep
        key.retired_at = utcnow()
        retired.append(key.kid)
        audit.record(actor, "key.retire", tenant_id, kid=key.kid)
    db.session.flush()
    return retired


def describe(tenant_id: int | None = None) -> str:
    return json.dumps(
        [
            {"kid": k.kid, "signing_from": k.signing_from.isoformat()}
            for k in published_keys(tenant_id)
        ]
    )
