"""accreditation.credentials.proof (see accreditation/credentials/__init__.py): the institution
as issuer (``did:web`` DID documents with Ed25519 ``Multikey`` keys, encrypted at rest,
rotatable), ``eddsa-rdfc-2022`` Data Integrity proofs with every context bundled, Bitstring
Status Lists, and their public routes.

The API the other areas use::

    issuer_did(tenant) -> str             issuer_profile(tenant) -> dict
    sign(tenant, document[, signer]) -> dict      verify(document) -> Verification
    signer(tenant) -> Signer              (its key, kept for a run of many credentials)
    allocate_status(tenant) -> dict       set_revoked(tenant_id, entry, revoked=True)
    is_revoked(entry) -> bool             document_loader (pyld: bundled + our own only)
"""

from __future__ import annotations

from flask import Flask

from .identity import issuer_did, issuer_profile, rotate_key
from .loader import document_loader
from .signing import ProofError, Signer, Verification, sign, signer
from .status import StatusError, allocate_status, is_revoked, set_revoked
from .verification import verify

__all__ = [
    "ProofError",
    "Signer",
    "StatusError",
    "Verification",
    "allocate_status",
    "document_loader",
    "is_revoked",
    "issuer_did",
    "issuer_profile",
    "register",
    "rotate_key",
    "set_revoked",
    "sign",
    "signer",
    "verify",
]


def register(app: Flask) -> None:
    """This area's public routes (DID documents, status lists) and its commands."""
    from . import views  # noqa: F401 - adds its routes to the credentials blueprint
    from .commands import register_commands

    register_commands(app)
