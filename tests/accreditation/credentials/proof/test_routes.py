"""The public routes through HTTP: a tenant's DID document and its status lists — content
types, caching, rate limits, and each tenant's own (an unknown key set is a 404)."""

from __future__ import annotations

import secrets
from typing import Any

import pytest

from accreditation.credentials.proof import allocate_status, set_revoked, sign, verify
from accreditation.credentials.proof.identity import did_url, issuer_did, rotate_key, signing_key
from accreditation.credentials.proof.status import decode_list
from lti_tool.actor import Actor
from lti_tool.extensions import db
from lti_tool.models import Tenant

from .conftest import badge


def _address() -> str:
    return f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250) + 1}"


@pytest.fixture
def web(app) -> Any:
    """A client with an address of its own (the public limit counts per address)."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = _address()
    return client


def _committed_tenant(name: str = "Route University") -> Tenant:
    tenant = Tenant(name=f"{name} {secrets.token_hex(4)}")
    db.session.add(tenant)
    db.session.commit()
    return tenant


def test_did_document(app_ctx, web) -> None:
    tenant = _committed_tenant()
    key = signing_key(tenant)
    db.session.commit()
    resp = web.get(f"/credentials/{tenant.key_set_id}/did.json")
    assert resp.status_code == 200
    assert resp.mimetype == "application/did+json"
    assert resp.headers["Cache-Control"] == "public, max-age=300"
    document = resp.get_json()
    did = issuer_did(tenant)
    assert did == f"did:web:localhost:credentials:{tenant.key_set_id}"
    assert document["id"] == did
    assert document["@context"] == [
        "https://www.w3.org/ns/did/v1",
        "https://w3id.org/security/multikey/v1",
    ]
    method = {
        "id": f"{did}#{key.public_multibase}",
        "type": "Multikey",
        "controller": did,
        "publicKeyMultibase": key.public_multibase,
    }
    assert document["verificationMethod"] == [method]
    assert document["assertionMethod"] == [method["id"]]
    assert key.public_multibase.startswith("z6Mk")  # base58btc of 0xed01 + the key


def test_each_tenant_has_its_own_document_and_an_unknown_one_is_404(app_ctx, web) -> None:
    first, second = _committed_tenant("First"), _committed_tenant("Second")
    keys = {signing_key(first).public_multibase, signing_key(second).public_multibase}
    db.session.commit()
    seen = set()
    for tenant in (first, second):
        document = web.get(f"/credentials/{tenant.key_set_id}/did.json").get_json()
        assert document["id"] == issuer_did(tenant)
        assert len(document["verificationMethod"]) == 1
        seen.add(document["verificationMethod"][0]["publicKeyMultibase"])
    assert seen == keys and len(keys) == 2

    resp = web.get("/credentials/no-such-issuer/did.json")
    assert resp.status_code == 404
    assert "There is no credential issuer at this address." in resp.get_data(as_text=True)


def test_did_document_names_the_port(app_ctx, app) -> None:
    tenant = _committed_tenant()
    client = app.test_client()
    resp = client.get(
        f"/credentials/{tenant.key_set_id}/did.json", base_url="https://careers.example.edu:8443"
    )
    assert resp.get_json()["id"] == (
        f"did:web:careers.example.edu%3A8443:credentials:{tenant.key_set_id}"
    )


def test_rotation_keeps_the_old_key_published(app_ctx, web) -> None:
    tenant = _committed_tenant()
    old = signing_key(tenant)
    new = rotate_key(Actor.cli(tenant.id))
    db.session.commit()
    document = web.get(f"/credentials/{tenant.key_set_id}/did.json").get_json()
    listed = [m["publicKeyMultibase"] for m in document["verificationMethod"]]
    assert listed == [old.public_multibase, new.public_multibase]
    assert len(document["assertionMethod"]) == 2


def test_status_list_is_signed_kept_and_signed_again_after_a_change(app_ctx, web) -> None:
    tenant = _committed_tenant()
    entry = allocate_status(tenant)
    db.session.commit()
    url = f"/credentials/{tenant.key_set_id}/status/1"
    assert entry["statusListCredential"] == f"http://localhost{url}"

    first = web.get(url)
    assert first.status_code == 200
    assert first.mimetype == "application/vc+ld+json"
    assert first.headers["Cache-Control"] == "public, max-age=300"
    listed = first.get_json()
    assert listed["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert listed["issuer"] == issuer_did(tenant)
    assert listed["credentialSubject"]["statusPurpose"] == "revocation"
    bits = decode_list(listed["credentialSubject"]["encodedList"])
    assert len(bits) * 8 == 131_072 and not any(bits)
    assert verify(listed).state == "valid"
    again = web.get(url)
    assert again.get_json()["proof"] == listed["proof"]  # kept, not signed again
    assert again.headers["ETag"] == first.headers["ETag"]
    unchanged = web.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert unchanged.status_code == 304 and unchanged.get_data() == b""

    set_revoked(tenant.id, entry)
    db.session.commit()
    after = web.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert after.status_code == 200
    changed = after.get_json()
    assert changed["proof"]["proofValue"] != listed["proof"]["proofValue"]
    index = int(entry["statusListIndex"])
    bits = decode_list(changed["credentialSubject"]["encodedList"])
    assert bits[index // 8] & (0x80 >> (index % 8))
    assert verify(changed).state == "valid"


def test_a_status_list_of_another_tenant_is_404(app_ctx, web) -> None:
    mine, other = _committed_tenant("Mine"), _committed_tenant("Other")
    allocate_status(mine)
    db.session.commit()
    assert web.get(f"/credentials/{mine.key_set_id}/status/1").status_code == 200
    resp = web.get(f"/credentials/{other.key_set_id}/status/1")
    assert resp.status_code == 404
    assert "There is no status list at this address." in resp.get_data(as_text=True)
    assert web.get(f"/credentials/{mine.key_set_id}/status/2").status_code == 404


def test_public_routes_are_rate_limited(app, app_ctx, web, monkeypatch) -> None:
    tenant = _committed_tenant()
    monkeypatch.setitem(app.config, "RATELIMIT_PUBLIC", "2 per minute")
    url = f"/credentials/{tenant.key_set_id}/did.json"
    assert [web.get(url).status_code for _ in range(3)] == [200, 200, 429]


def test_a_credential_verifies_after_a_request_named_the_same_host(app_ctx, web) -> None:
    tenant = _committed_tenant()
    signed = sign(tenant, badge(tenant))
    db.session.commit()
    document = web.get(f"/credentials/{tenant.key_set_id}/did.json").get_json()
    assert signed["proof"]["verificationMethod"] in document["assertionMethod"]


def test_the_public_url_names_the_issuer_everywhere(app, app_ctx, monkeypatch) -> None:
    tenant = _committed_tenant()
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://careers.example.edu:8443/cc/")
    did = issuer_did(tenant)
    assert did == f"did:web:careers.example.edu%3A8443:cc:credentials:{tenant.key_set_id}"
    assert did_url(did) == (
        f"https://careers.example.edu:8443/cc/credentials/{tenant.key_set_id}/did.json"
    )
    entry = allocate_status(tenant)
    assert entry["statusListCredential"] == (
        f"https://careers.example.edu:8443/cc/credentials/{tenant.key_set_id}/status/1"
    )
    signed = sign(tenant, badge(tenant, credentialStatus=entry))
    assert verify(signed).state == "valid"
    db.session.rollback()


def test_production_signs_outside_a_request_only_with_a_public_url(app, app_ctx, monkeypatch):
    tenant = _committed_tenant()
    monkeypatch.setitem(app.config, "CAREER_CREDIT_ENV", "production")
    with pytest.raises(RuntimeError, match="set CAREER_CREDIT_PUBLIC_URL"):
        issuer_did(tenant)
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://careers.example.edu")
    assert issuer_did(tenant) == f"did:web:careers.example.edu:credentials:{tenant.key_set_id}"
