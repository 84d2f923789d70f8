"""Verifying a credential offline: issuer, key, signature, validity period and status, each
failure told in words for a person (``Verification.reason``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import base58
from cryptography.exceptions import InvalidSignature

from lti_tool.models import Tenant

from .identity import public_key_of, published_keys, tenant_of_did, verification_method_id
from .signing import CRYPTOSUITE, ProofError, Verification, hash_data
from .status import StatusError, is_revoked, status_list_tenant

CHANGED = "The signature does not match the content: it was changed after issue."


def _invalid(reason: str, tenant: Tenant | None = None) -> Verification:
    return Verification(False, "invalid", reason, tenant.id if tenant else None)


def _issuer_id(document: dict[str, Any]) -> str:
    issuer = document.get("issuer")
    if isinstance(issuer, dict):
        issuer = issuer.get("id")
    return issuer if isinstance(issuer, str) else ""


def _proof_of(document: dict[str, Any]) -> dict[str, Any] | None:
    proof = document.get("proof")
    if isinstance(proof, list) and len(proof) == 1:
        proof = proof[0]
    if not isinstance(proof, dict):
        return None
    if proof.get("type") != "DataIntegrityProof" or proof.get("cryptosuite") != CRYPTOSUITE:
        return None
    return proof


def _signature_ok(document: dict[str, Any], proof: dict[str, Any], multibase: str) -> bool:
    value = proof.get("proofValue")
    if not isinstance(value, str) or not value.startswith("z"):
        return False
    try:
        signature = base58.b58decode(value[1:])
    except ValueError:
        return False
    try:
        public_key_of(multibase).verify(signature, hash_data(document, proof))
    except InvalidSignature:
        return False
    return True


def _period_problem(document: dict[str, Any]) -> str | None:
    now = dt.datetime.now(dt.UTC)
    for field, future in (("validFrom", True), ("validUntil", False)):
        value = document.get(field)
        if value is None:
            continue
        try:
            when = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            return f"Its {field} is not a date and time."
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        if future and when > now:
            return f"It is not valid before {when:%B %-d, %Y}."
        if not future and when <= now:
            return f"It expired on {when:%B %-d, %Y}."
    return None


def _revoked(document: dict[str, Any], tenant: Tenant) -> bool | str:
    """True when a revocation entry's bit is set; a reason when an entry is not ours."""
    entries = document.get("credentialStatus") or []
    for entry in entries if isinstance(entries, list) else [entries]:
        if not isinstance(entry, dict) or entry.get("statusPurpose") != "revocation":
            continue
        try:
            if status_list_tenant(entry) != tenant.id:
                return "Its revocation status names a list that is not its issuer's."
            if is_revoked(entry):
                return True
        except StatusError:
            return "Its revocation status names a list that is not its issuer's."
    return False


def _proof_problem(document: dict[str, Any], tenant: Tenant) -> str | None:
    """Why the proof does not hold (None when it does)."""
    proof = _proof_of(document)
    if proof is None:
        return "It carries no eddsa-rdfc-2022 Data Integrity proof."
    if proof.get("proofPurpose") != "assertionMethod":
        return "Its proof was not made to assert a credential."
    did = _issuer_id(document)
    keys = {verification_method_id(did, key): key for key in published_keys(tenant.id)}
    key = keys.get(str(proof.get("verificationMethod")))
    if key is None:
        return "It was signed with a key its issuer does not (or no longer) list."
    try:
        if not _signature_ok(document, proof, key.public_multibase):
            return CHANGED
    except ProofError as exc:
        return f"Its content cannot be checked: {exc}"
    return None


def verify(document: dict[str, Any]) -> Verification:
    """Whether ``document`` is a credential one of this installation's institutions signed,
    unchanged, in its validity period and not revoked. Reads only; never fetches."""
    if not isinstance(document, dict):
        return _invalid("It is not a credential (a JSON object).")
    tenant = tenant_of_did(_issuer_id(document))
    if tenant is None:
        return Verification(
            False, "unknown_issuer", "It was not issued by an institution of this tool.", None
        )
    problem = _proof_problem(document, tenant) or _period_problem(document)
    if problem:
        return _invalid(problem, tenant)
    revoked = _revoked(document, tenant)
    if isinstance(revoked, str):
        return _invalid(revoked, tenant)
    if revoked:
        return Verification(False, "revoked", f"{tenant.name} revoked it.", tenant.id)
    return Verification(
        True, "valid", f"Issued by {tenant.name}: unchanged and not revoked.", tenant.id
    )
