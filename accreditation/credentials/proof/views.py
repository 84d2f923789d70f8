"""Public routes of the proof area, on the credentials blueprint: a tenant's DID document
(what ``did:web:<host>:credentials:<key_set_id>`` resolves to) and its status lists. Anyone
may fetch them (verifiers, wallets); they are rate limited like the other public pages and
cacheable for five minutes."""

from __future__ import annotations

from flask import current_app, request
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from lti_tool.auth import public
from lti_tool.errors import NotFoundError
from lti_tool.extensions import db
from lti_tool.models import Tenant
from lti_tool.ratelimit import public_limit, rate_limited

from ..blueprint import bp
from .identity import did_document_for
from .status import served_list

CACHE = "public, max-age=300"


def _tenant(key_set_id: str) -> Tenant:
    tenant = db.session.scalar(select(Tenant).where(Tenant.key_set_id == key_set_id[:64]))
    if tenant is None:
        raise NotFoundError(
            "There is no credential issuer at this address.",
            hint="Check the address in the credential: it names its issuer's DID.",
        )
    return tenant


def _json(document: dict, mimetype: str) -> ResponseReturnValue:
    response = current_app.response_class(current_app.json.dumps(document), mimetype=mimetype)
    response.headers["Cache-Control"] = CACHE
    response.headers["Access-Control-Allow-Origin"] = "*"  # browser wallets and verifiers
    response.add_etag()  # a verifier that kept the document asks again for a 304
    return response.make_conditional(request)


@bp.get("/<key_set_id>/did.json")
@public
@rate_limited(public_limit)
def did_document(key_set_id: str) -> ResponseReturnValue:
    """The institution's DID document (``did:web``): its credential signing keys."""
    return _json(did_document_for(_tenant(key_set_id)), "application/did+json")


@bp.get("/<key_set_id>/status/<int:number>")
@public
@rate_limited(public_limit)
def status_list(key_set_id: str, number: int) -> ResponseReturnValue:
    """A signed ``BitstringStatusListCredential`` of the institution's revocations."""
    tenant = _tenant(key_set_id)
    signed = served_list(tenant, number)
    if signed is None:
        raise NotFoundError(
            "There is no status list at this address.",
            hint="Check the address in the credential's credentialStatus.",
        )
    return _json(signed, "application/vc+ld+json")
