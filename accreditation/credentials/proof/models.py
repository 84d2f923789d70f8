"""Models of accreditation.credentials.proof: the institution's signing keys and its status
lists (every row carries its tenant).

An ``IssuerKey`` is one Ed25519 key of a tenant's ``did:web`` DID document. Its private half is
stored encrypted (``lti_tool.crypto.EncryptedText``, like the LTI keys); every key that is not
retired stays in the DID document, so a credential signed before a rotation still verifies.

A ``StatusList`` is one W3C Bitstring Status List of a tenant (``statusPurpose`` revocation):
``size`` bits, ``next_index`` the next bit a new credential gets (indexes only grow, so one is
never handed out twice). ``version`` rises with every bit that changes; the signed
``BitstringStatusListCredential`` served for it is kept in ``signed`` with the version it was
made for (``signed_version``), so the public route signs again only after a change.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lti_tool.crypto import EncryptedText
from lti_tool.extensions import Model
from lti_tool.models import utcnow

# The W3C spec's minimum (16 KB uncompressed): a list this long gives group privacy.
STATUS_LIST_BITS = 131_072


class IssuerKey(Model):
    """An Ed25519 key of a tenant's DID document (see the module's docstring)."""

    __tablename__ = "issuer_key"
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    # "z" + base58btc(0xed01 + public key): the Multikey value and the key's fragment in the DID.
    public_multibase: Mapped[str] = mapped_column(String(64), unique=True)
    private_key: Mapped[str] = mapped_column(EncryptedText())  # PKCS#8 PEM, Fernet-encrypted
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class StatusList(Model):
    """One Bitstring Status List of a tenant (see the module's docstring)."""

    __tablename__ = "credential_status_list"
    __table_args__ = (UniqueConstraint("tenant_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    number: Mapped[int] = mapped_column()  # 1, 2, ... per tenant: /credentials/<ks>/status/<n>
    purpose: Mapped[str] = mapped_column(String(16), default="revocation")
    size: Mapped[int] = mapped_column(default=STATUS_LIST_BITS)
    bits: Mapped[bytes] = mapped_column(LargeBinary)
    next_index: Mapped[int] = mapped_column(default=0)
    version: Mapped[int] = mapped_column(default=0)
    signed: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    signed_version: Mapped[int] = mapped_column(default=-1)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
