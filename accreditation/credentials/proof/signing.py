"""Data Integrity proofs with the ``eddsa-rdfc-2022`` cryptosuite (W3C VC Data Integrity EdDSA
Cryptosuites v1.0, section 3.2).

Signing: the proof options (the proof without ``proofValue``, with the document's
``@context``) and the document without ``proof`` are each canonicalized with RDFC-1.0
(URDNA2015, pyld) and hashed with SHA-256; the Ed25519 signature of hash(proof options) +
hash(document) is the ``proofValue`` (multibase base58btc, "z"). Canonicalization runs in
"safe mode": a property the contexts do not define or an identifier that is not an absolute
IRI (which JSON-LD would silently drop, leaving it unsigned) is an error, not a quiet gap in
what the signature covers.

Verifying works offline: the issuer must be one of this installation's tenants, the key one
its DID document publishes, the contexts bundled ones; then the signature, then the status."""

from __future__ import annotations

import copy
import datetime as dt
import functools
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

import base58
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pyld.jsonld import JsonLdError, JsonLdProcessor

from lti_tool.models import Tenant

from . import expansion
from .identity import (
    issuer_did,
    private_key_of,
    signing_key,
    verification_method_id,
)
from .loader import VC_V2, document_loader
from .models import IssuerKey

CRYPTOSUITE = "eddsa-rdfc-2022"


class ProofError(ValueError):
    """A document cannot be signed or verified as given (the message says why)."""


@dataclass(frozen=True)
class Verification:
    """What verifying a credential found, in words for a person."""

    ok: bool
    state: str  # "valid" | "revoked" | "invalid" | "unknown_issuer"
    reason: str
    issuer_tenant_id: int | None = None


def _dropped(term: Any) -> None:
    raise ProofError(
        f"The term {term!r} is not defined by the document's contexts, so a signature "
        "would not cover it."
    )


_ABSOLUTE = re.compile(r"^(_:|[A-Za-z][A-Za-z0-9+.-]*:)")


def _relative_iri(node: Any) -> str | None:
    """The first relative IRI of an expanded document's ``@id``s and ``@type``s (which RDF
    would drop, leaving them unsigned), or None."""
    if isinstance(node, list):
        return next((found for item in node if (found := _relative_iri(item))), None)
    if not isinstance(node, dict):
        return None
    for key, value in node.items():
        if key in ("@id", "@type"):
            for iri in value if isinstance(value, list) else [value]:
                if isinstance(iri, str) and not _ABSOLUTE.match(iri):
                    return iri
        elif key != "@value" and (found := _relative_iri(value)):
            return found
    return None


def _expand_in_full(document: Any) -> Any:
    """pyld's expansion in safe mode, with only bundled or own documents loaded."""
    processor = JsonLdProcessor(on_property_dropped=_dropped)
    options = {"documentLoader": document_loader, "base": None}  # relative IRIs stay relative
    return processor.expand(document, options)


def canonicalize(document: dict[str, Any]) -> str:
    """RDFC-1.0 N-Quads of a JSON-LD document, with only bundled or own documents loaded
    (``ProofError`` when a term is undefined, an IRI relative or a context unknown)."""
    try:
        expanded = expansion.expand(document, _expand_in_full)
        relative = _relative_iri(expanded)
        if relative is not None:
            raise ProofError(
                f"The identifier {relative!r} is not an absolute IRI, so a signature would "
                "not cover it."
            )
        nquads = expansion.to_nquads(JsonLdProcessor(), expanded)
    except JsonLdError as exc:
        raise ProofError(_json_ld_reason(exc)) from exc
    except RecursionError as exc:
        raise ProofError("It is nested too deeply to be a credential.") from exc
    return nquads


def _json_ld_reason(exc: JsonLdError) -> str:
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ProofError):
            return str(cause)
        if isinstance(cause, JsonLdError) and "not bundled" in str(cause):
            return "It uses a context that Career Credit does not know."
        cause = cause.__cause__ or getattr(cause, "cause", None)
    return "It is not a valid JSON-LD document."


# A creation time no proof has: the placeholder of the kept canonical proof options.
_PLACEHOLDER = "1111-11-11T11:11:11Z"
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$")


@functools.lru_cache(maxsize=64)
def _options_template(rest: str) -> str | None:
    """The N-Quads of the proof options ``rest`` (JSON) created at ``_PLACEHOLDER``; None when
    the time is not a single literal of one node (then nothing is kept)."""
    nquads = canonicalize({**json.loads(rest), "created": _PLACEHOLDER})
    if nquads.count(_PLACEHOLDER) != 1 or "_:c14n1" in nquads:
        return None
    return nquads


def canonical_options(config: dict[str, Any]) -> str:
    """``canonicalize(config)`` of proof options. The options of one key's proofs differ only
    in their creation time, a literal of the one (blank) node whose line's place in the sorted
    N-Quads its predicate decides: the rest's canonical form is kept per process and the time
    written in (the options' expansion was half the CPU of a signature)."""
    created = config.get("created")
    if isinstance(created, str) and _DATE_TIME.match(created):
        rest = json.dumps({k: v for k, v in config.items() if k != "created"}, sort_keys=True)
        template = _options_template(rest)
        if template is not None:
            return template.replace(_PLACEHOLDER, created)
    return canonicalize(config)


def hash_data(document: dict[str, Any], options: dict[str, Any]) -> bytes:
    """hash(canonical proof options) + hash(canonical document without its proof)."""
    unsigned = {k: v for k, v in document.items() if k != "proof"}
    config = {k: v for k, v in options.items() if k != "proofValue"}
    config["@context"] = document.get("@context")
    config_hash = hashlib.sha256(canonical_options(config).encode()).digest()
    document_hash = hashlib.sha256(canonicalize(unsigned).encode()).digest()
    return config_hash + document_hash


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Signer:
    """The key that signs for a tenant now, its private half loaded: a run that issues many
    credentials in one transaction (the runner's tick) reads it once, not once each."""

    key: IssuerKey
    private: Ed25519PrivateKey


def signer(tenant: Tenant) -> Signer:
    """The tenant's signing key now (``signing_key``: made on first use, flushed)."""
    key = signing_key(tenant)
    return Signer(key, private_key_of(key))


def sign(tenant: Tenant, document: dict[str, Any], using: Signer | None = None) -> dict[str, Any]:
    """A copy of ``document`` with the tenant's ``DataIntegrityProof`` (``eddsa-rdfc-2022``,
    purpose ``assertionMethod``), signed by ``using`` (the tenant's ``signer``), else by the
    key that signs for it now. Makes the tenant's first key if it has none (flushes)."""
    if "proof" in document:
        raise ProofError("The document is signed already.")
    contexts = document.get("@context")
    if not isinstance(contexts, list) or not contexts or contexts[0] != VC_V2:
        # the v2 context defines DataIntegrityProof: without it a verifier adds another
        # context to the proof options than the one signed here
        raise ProofError(f"A credential's first @context must be {VC_V2}.")
    issuer = document.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    if issuer_id != issuer_did(tenant):
        raise ProofError("The credential's issuer is not the institution that would sign it.")
    using = using or signer(tenant)
    proof = {
        "type": "DataIntegrityProof",
        "cryptosuite": CRYPTOSUITE,
        "created": _now(),
        "verificationMethod": verification_method_id(issuer_did(tenant), using.key),
        "proofPurpose": "assertionMethod",
    }
    signature = using.private.sign(hash_data(document, proof))
    signed = copy.deepcopy(document)
    signed["proof"] = {**proof, "proofValue": "z" + base58.b58encode(signature).decode()}
    return signed
