"""The tool's RSA keys: created on first use, published at /lti/jwks, rotated with a grace
period so platforms' cached key sets catch up before anything is signed with a new key."""

from __future__ import annotations

import datetime as dt
import json
import secrets
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwcrypto.jwk import JWK
from sqlalchemy import select
from sqlalchemy.orm import defer

from .extensions import db
from .models import ToolKey, utcnow
from .services import audit


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_pem: str


def _new_key(signing_from: dt.datetime) -> ToolKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    kid = secrets.token_urlsafe(16)
    public = JWK.from_pem(pem.encode()).export_public(as_dict=True)
    public.update({"kid": kid, "alg": "RS256", "use": "sig"})
    return ToolKey(kid=kid, private_pem=pem, public_jwk=public, signing_from=signing_from)


def published_keys() -> list[ToolKey]:
    """Keys in the published set; the (encrypted) private key loads only when read."""
    return list(
        db.session.scalars(
            select(ToolKey)
            .options(defer(ToolKey.private_pem))
            .where(ToolKey.retired_at.is_(None))
            .order_by(ToolKey.created_at)
        )
    )


def ensure_key() -> None:
    """Create the first key if there is none (first start); commits."""
    if db.session.scalar(select(ToolKey.id).limit(1)) is None:
        db.session.add(_new_key(utcnow()))
        db.session.commit()


def jwks() -> dict:
    """The public key set every platform fetches: ``{"keys": [...]}``."""
    ensure_key()
    return {"keys": [key.public_jwk for key in published_keys()]}


def signing_key(now: dt.datetime | None = None) -> SigningKey:
    """The newest published key whose grace period has passed."""
    ensure_key()
    now = now or utcnow()
    key = db.session.scalar(
        select(ToolKey)
        .where(ToolKey.retired_at.is_(None), ToolKey.signing_from <= now)
        .order_by(ToolKey.created_at.desc(), ToolKey.id.desc())
        .limit(1)
    )
    if key is None:  # every key still in grace: sign with the oldest published one
        key = published_keys()[0]
    return SigningKey(kid=key.kid, private_pem=key.private_pem)


def rotate(actor: str, grace: dt.timedelta) -> ToolKey:
    """Publish a new key now; it signs once ``grace`` has passed."""
    key = _new_key(utcnow() + grace)
    db.session.add(key)
    audit.record(actor, "key.rotate", None, kid=key.kid, signing_from=key.signing_from.isoformat())
    db.session.flush()
    return key


def retire(actor: str, kid: str | None = None) -> list[str]:
    """Unpublish keys no longer used for signing (or the one named); returns their kids."""
    current = signing_key().kid
    query = select(ToolKey).where(ToolKey.retired_at.is_(None), ToolKey.kid != current)
    if kid:
        if kid == current:
            raise ValueError(f"Key {kid} is the current signing key; rotate first.")
        query = query.where(ToolKey.kid == kid)
    current_created = db.session.scalar(select(ToolKey.created_at).where(ToolKey.kid == current))
    retired = []
    for key in db.session.scalars(query):
        if current_created is not None and key.created_at > current_created:
            continue  # a newer key still in its grace period: keep it
        key.retired_at = utcnow()
        retired.append(key.kid)
        audit.record(actor, "key.retire", None, kid=key.kid)
    db.session.flush()
    return retired


def describe() -> str:
    return json.dumps(
        [{"kid": k.kid, "signing_from": k.signing_from.isoformat()} for k in published_keys()]
    )
