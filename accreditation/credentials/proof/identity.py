"""The institution as issuer: its ``did:web`` identifier, its DID document and its Ed25519 keys.

A tenant's DID is ``did:web:<host>[%3A<port>][:<path>]:credentials:<tenant.key_set_id>``, which
``did:web`` resolves to ``https://<host>[:<port>][/<path>]/credentials/<key_set_id>/did.json``
(the route in ``views.py``). The host comes from ``PUBLIC_URL`` when it is set, so a credential
signed by a background task names the same issuer as one signed during a request; without it
(development, tests) from the request being served, and outside a request from
``SERVER_NAME`` or ``localhost``; production refuses to sign outside a request without it.

Keys: the first is made on first use (``signing_key``), ``rotate_key`` adds a newer one that
signs from then on, and every key not retired stays listed in ``assertionMethod``."""

from __future__ import annotations

import functools
from urllib.parse import quote, unquote, urlsplit

import base58
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from flask import current_app, has_request_context, request
from sqlalchemy import Integer, Select, bindparam, select

from lti_tool.actor import Actor
from lti_tool.extensions import db
from lti_tool.models import Tenant, utcnow
from lti_tool.services import audit
from lti_tool.web import configured_public_url

from .loader import DID_V1, MULTIKEY_V1
from .models import IssuerKey

ED25519_PUB_PREFIX = b"\xed\x01"  # multicodec ed25519-pub (varint 0xed)


def public_base_url() -> str:
    """The tool's public base URL (scheme, host, optional port and path; no trailing slash)."""
    configured = configured_public_url()
    if configured:
        return configured
    if has_request_context():
        return request.host_url.rstrip("/")  # ProxyFix has made it the client-facing host
    if current_app.config["CAREER_CREDIT_ENV"] in (None, "production"):
        # a background task would name another issuer than the pages do: refuse, clearly
        raise RuntimeError(
            "Credentials name the tool's public address: set CAREER_CREDIT_PUBLIC_URL."
        )
    server = str(current_app.config["SERVER_NAME"])  # "None" when unset: development, tests
    host = "localhost" if server == "None" else server
    return f"{current_app.config['PREFERRED_URL_SCHEME']}://{host}"


def _did_prefix(base_url: str) -> str:
    parts = urlsplit(base_url)
    segments = [quote(parts.netloc, safe="")]  # the port's ":" is percent-encoded
    segments += [quote(s, safe="") for s in parts.path.split("/") if s]
    return "did:web:" + ":".join(segments)


def issuer_did(tenant: Tenant) -> str:
    """The tenant's DID: ``did:web:<host>[%3A<port>]:credentials:<key_set_id>``."""
    return f"{_did_prefix(public_base_url())}:credentials:{tenant.key_set_id}"


def did_url(did: str) -> str:
    """Where ``did:web`` resolves ``did``: its ``did.json`` (https, per the method)."""
    segments = [unquote(s) for s in did.removeprefix("did:web:").split(":")]
    return "https://" + "/".join(segments) + "/did.json"


def tenant_of_did(did: str) -> Tenant | None:
    """The tenant whose DID (as this installation names it now) is ``did``, or None."""
    if not did.startswith("did:web:") or ":credentials:" not in did:
        return None
    key_set_id = did.rsplit(":", 1)[-1]
    tenant = db.session.scalar(select(Tenant).where(Tenant.key_set_id == key_set_id[:64]))
    if tenant is None or issuer_did(tenant) != did:
        return None
    return tenant


def multibase_of(public: Ed25519PublicKey) -> str:
    """A public key as a Multikey ``publicKeyMultibase``: z + base58btc(0xed01 + key)."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "z" + base58.b58encode(ED25519_PUB_PREFIX + raw).decode()


def public_key_of(multibase: str) -> Ed25519PublicKey:
    """The Ed25519 public key of a ``publicKeyMultibase`` (``ValueError`` if it is not one)."""
    if not multibase.startswith("z"):
        raise ValueError("Not a base58btc multibase value.")
    raw = base58.b58decode(multibase[1:])
    if len(raw) != 34 or raw[:2] != ED25519_PUB_PREFIX:
        raise ValueError("Not an Ed25519 Multikey.")
    return Ed25519PublicKey.from_public_bytes(raw[2:])


@functools.cache
def _published_statement() -> Select[IssuerKey]:
    """``published_keys``' statement (bound: ``tenant_id``), built once per process (every
    signature reads it)."""
    return (
        select(IssuerKey)
        .where(
            IssuerKey.tenant_id == bindparam("tenant_id", type_=Integer),
            IssuerKey.retired_at.is_(None),
        )
        .order_by(IssuerKey.created_at, IssuerKey.id)
    )


def published_keys(tenant_id: int) -> list[IssuerKey]:
    """The tenant's keys that are not retired, oldest first."""
    return list(db.session.scalars(_published_statement(), {"tenant_id": tenant_id}))


def _new_key(tenant_id: int) -> IssuerKey:
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    key = IssuerKey(
        tenant_id=tenant_id,
        public_multibase=multibase_of(private.public_key()),
        private_key=pem,
        created_at=utcnow(),
    )
    db.session.add(key)
    return key


def signing_key(tenant: Tenant) -> IssuerKey:
    """The key that signs for the tenant now (its newest published key), made on first use.
    Flushes when it makes one; the caller commits."""
    keys = published_keys(tenant.id)
    if keys:
        return keys[-1]
    key = _new_key(tenant.id)
    audit.record("career-credit", "credentials.key_create", tenant.id)
    db.session.flush()
    return key


def private_key_of(key: IssuerKey) -> Ed25519PrivateKey:
    loaded = serialization.load_pem_private_key(key.private_key.encode(), password=None)
    if not isinstance(loaded, Ed25519PrivateKey):
        raise TypeError("An issuer key is not an Ed25519 key.")
    return loaded


def _actors_tenant(actor: Actor) -> Tenant:
    tenant = db.session.get(Tenant, actor.tenant)
    if tenant is None:
        raise LookupError("There is no such institution.")
    return tenant


def rotate_key(actor: Actor) -> IssuerKey:
    """Add a new key to the actor's tenant's DID document; it signs from now on, and the older
    keys stay published so what they signed still verifies. Audited; flushes."""
    tenant = _actors_tenant(actor)
    signing_key(tenant)  # a tenant that never signed gets its first key, then the new one
    key = _new_key(tenant.id)
    db.session.flush()
    audit.record(actor, "credentials.key_rotate", tenant.id, key=key.public_multibase)
    return key


def retire_key(actor: Actor, public_multibase: str) -> None:
    """Take a key out of the actor's tenant's DID document (a compromised key): what it signed
    no longer verifies. The key signing now cannot be retired (rotate first). Audited;
    flushes."""
    tenant = _actors_tenant(actor)
    key = db.session.scalar(
        select(IssuerKey).where(
            IssuerKey.tenant_id == tenant.id,
            IssuerKey.public_multibase == public_multibase,
            IssuerKey.retired_at.is_(None),
        )
    )
    if key is None:
        raise LookupError("The institution has no published key with that value.")
    if key.id == signing_key(tenant).id:
        raise ValueError("That key signs new credentials now; rotate the key first.")
    key.retired_at = utcnow()
    audit.record(actor, "credentials.key_retire", tenant.id, key=public_multibase)
    db.session.flush()


def verification_method_id(did: str, key: IssuerKey) -> str:
    return f"{did}#{key.public_multibase}"


def did_document_for(tenant: Tenant) -> dict:
    """The tenant's DID document: every published key as an Ed25519 ``Multikey``, each one
    an ``assertionMethod`` (what signs credentials). Reads only."""
    did = issuer_did(tenant)
    methods = [
        {
            "id": verification_method_id(did, key),
            "type": "Multikey",
            "controller": did,
            "publicKeyMultibase": key.public_multibase,
        }
        for key in published_keys(tenant.id)
    ]
    return {
        "@context": [DID_V1, MULTIKEY_V1],
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": [method["id"] for method in methods],
    }


def issuer_profile(tenant: Tenant) -> dict:
    """The institution as an Open Badges 3.0 ``Profile`` (a credential's ``issuer``)."""
    return {"id": issuer_did(tenant), "type": ["Profile"], "name": tenant.name}
