"""The JSON-LD document loader of signing and verifying: it serves the contexts bundled with
the tool (``contexts/``, see its README) and, from the database, this installation's own DID
documents and status list credentials. Anything else raises: nothing is fetched from the
network when the tool signs or verifies, so a credential's meaning cannot be changed by
whoever serves a context, and a verification never waits on another host."""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

from pyld.jsonld import JsonLdError

# Context URL -> bundled file (sources, versions and licenses: contexts/README.md).
CONTEXT_FILES: dict[str, str] = {
    "https://www.w3.org/ns/credentials/v2": "credentials-v2.jsonld",
    "https://w3id.org/security/data-integrity/v2": "data-integrity-v2.jsonld",
    "https://w3id.org/security/multikey/v1": "multikey-v1.jsonld",
    "https://www.w3.org/ns/did/v1": "did-v1.jsonld",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json": "ob-context-3.0.1.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json": "ob-context-3.0.2.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json": "ob-context-3.0.3.json",
    "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json": "clr-context-2.0.1.json",
}

VC_V2 = "https://www.w3.org/ns/credentials/v2"
OB_V3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
CLR_V2 = "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json"
DID_V1 = "https://www.w3.org/ns/did/v1"
MULTIKEY_V1 = "https://w3id.org/security/multikey/v1"


class DocumentNotAllowedError(JsonLdError):
    """A document the loader does not serve (not bundled, not ours)."""


@functools.cache
def bundled_context(url: str) -> dict[str, Any]:
    """The parsed bundled context of ``url`` (``KeyError`` when it is not bundled)."""
    name = CONTEXT_FILES[url]
    text = resources.files(__package__).joinpath("contexts", name).read_text("utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


def _own_document(url: str) -> dict[str, Any] | None:
    """Our DID document (``did:web:...``) or status list credential (``https://...``) at
    ``url``, from the database; None when it is not one of ours."""
    from .identity import did_document_for, tenant_of_did
    from .status import status_list_credential_at

    base = url.split("#", 1)[0]
    if base.startswith("did:"):
        tenant = tenant_of_did(base)
        return did_document_for(tenant) if tenant is not None else None
    return status_list_credential_at(base)


def document_loader(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """pyld's document loader: bundled contexts and our own documents only. A bundled context
    is tagged ``static``: it never changes, so pyld keeps it resolved (and processed) across
    documents instead of fetching it and keying its scoped contexts again for each one (two
    thirds of the CPU of a signature)."""
    if url in CONTEXT_FILES:
        return {
            "contextUrl": None,
            "documentUrl": url,
            "document": bundled_context(url),
            "tag": "static",
        }
    else:
        found = _own_document(url)
        if found is None:
            raise DocumentNotAllowedError(
                f"The document {url!r} is not bundled with Career Credit and is not one of its "
                "own; it is never fetched.",
                "jsonld.LoadDocumentError",
                code="loading document failed",
            )
        document = found
    return {"contextUrl": None, "documentUrl": url, "document": document}
