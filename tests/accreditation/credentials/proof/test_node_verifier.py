"""Cross-checks with another implementation: Digital Bazaar's JavaScript libraries
(``tests/js/verify.mjs``) verify what ``sign()`` made, see a change and a revocation, and sign
with the tenant's key a credential that our ``verify()`` accepts.

Skipped only where node or the npm packages are missing and CI is not set (``npm ci``
installs them; ``scripts/run_tests.py`` runs it when package-lock.json changes)."""

from __future__ import annotations

import copy
import json
import secrets
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import base58
import pytest

from accreditation.credentials.proof import allocate_status, set_revoked, sign, verify
from accreditation.credentials.proof.identity import (
    issuer_did,
    private_key_of,
    signing_key,
)
from accreditation.credentials.proof.loader import CONTEXT_FILES, bundled_context
from lti_tool.extensions import db
from lti_tool.models import Tenant
from tests.conftest import CI

from .conftest import badge, clr

pytestmark = pytest.mark.slow  # a node process per check

ROOT = Path(__file__).resolve().parents[4]
SCRIPT = ROOT / "tests" / "js" / "verify.mjs"
PACKAGES = ROOT / "node_modules" / "@digitalbazaar"


@pytest.fixture(scope="module")
def node() -> str:
    found = shutil.which("node")
    missing = None if found else "node is not installed"
    if not missing and not (PACKAGES / "vc" / "package.json").exists():
        missing = "the npm packages are not installed (npm ci)"
    if missing:
        if CI:
            pytest.fail(f"{missing}: CI runs every cross-check")
        pytest.skip(missing)
    return str(found)


@pytest.fixture
def tenant(app_ctx) -> Tenant:
    """A committed tenant: the documents the verifier gets are fetched through HTTP."""
    tenant = Tenant(name=f"Node University {secrets.token_hex(4)}")
    db.session.add(tenant)
    db.session.commit()
    return tenant


@pytest.fixture
def web(app) -> Any:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = f"10.9.{secrets.randbelow(250)}.{secrets.randbelow(250)}"
    return client


def _documents(web: Any, tenant: Tenant, *lists: int) -> dict[str, Any]:
    """The bundled contexts, and the DID document and status lists as the public routes serve
    them (what a verifier would resolve and fetch)."""
    db.session.commit()
    documents: dict[str, Any] = {url: bundled_context(url) for url in CONTEXT_FILES}
    did = issuer_did(tenant)
    resp = web.get(f"/credentials/{tenant.key_set_id}/did.json")
    assert resp.status_code == 200
    documents[did] = resp.get_json()
    for number in lists:
        resp = web.get(f"/credentials/{tenant.key_set_id}/status/{number}")
        assert resp.status_code == 200
        documents[resp.get_json()["id"]] = resp.get_json()
    return documents


def run_node(node: str, **payload: Any) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(payload, handle)
    try:
        done = subprocess.run(  # noqa: S603 - our own script, arguments we made
            [node, str(SCRIPT), handle.name],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            cwd=ROOT,
        )
    finally:
        Path(handle.name).unlink()
    assert done.stdout, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_node_verifies_what_we_sign_and_sees_a_change(node: str, tenant: Tenant, web: Any) -> None:
    signed = sign(tenant, badge(tenant))
    result = run_node(node, action="verify", credential=signed, documents=_documents(web, tenant))
    assert result == {"verified": True, "revoked": None, "errors": []}

    tampered = copy.deepcopy(signed)
    tampered["credentialSubject"]["achievement"]["description"] = "Ran the company."
    result = run_node(node, action="verify", credential=tampered, documents=_documents(web, tenant))
    assert result["verified"] is False
    assert any("Invalid signature" in error for error in result["errors"]), result


def test_node_reads_the_revocation(node: str, tenant: Tenant, web: Any) -> None:
    entry = allocate_status(tenant)
    signed = sign(tenant, badge(tenant, credentialStatus=entry))
    result = run_node(
        node, action="verify", credential=signed, documents=_documents(web, tenant, 1)
    )
    assert result == {"verified": True, "revoked": False, "errors": []}

    set_revoked(tenant.id, entry)
    result = run_node(
        node, action="verify", credential=signed, documents=_documents(web, tenant, 1)
    )
    assert result["revoked"] is True
    assert verify(signed).state == "revoked"


def test_what_node_signs_with_our_key_verifies_here(node: str, tenant: Tenant, web: Any) -> None:
    key = signing_key(tenant)
    seed = private_key_of(key).private_bytes_raw()
    did = issuer_did(tenant)
    secret = "z" + base58.b58encode(b"\x80\x26" + seed).decode()
    multikey = {
        "id": f"{did}#{key.public_multibase}",
        "controller": did,
        "type": "Multikey",
        "publicKeyMultibase": key.public_multibase,
        "secretKeyMultibase": secret,
    }
    unsigned = badge(tenant, credentialStatus=allocate_status(tenant))
    result = run_node(
        node, action="sign", credential=unsigned, key=multikey, documents=_documents(web, tenant)
    )
    signed = result["credential"]
    assert signed["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    assert verify(signed).state == "valid"

    tampered = copy.deepcopy(signed)
    tampered["name"] = "Something else"
    assert verify(tampered).state == "invalid"


def test_node_verifies_a_clr_holding_a_badge(node: str, tenant: Tenant, web: Any) -> None:
    signed = sign(tenant, clr(tenant, sign(tenant, badge(tenant))))
    documents = _documents(web, tenant)
    result = run_node(node, action="verify", credential=signed, documents=documents)
    assert result == {"verified": True, "revoked": None, "errors": []}
    tampered = copy.deepcopy(signed)
    tampered["credentialSubject"]["verifiableCredential"][0]["validFrom"] = "2020-01-01T00:00:00Z"
    result = run_node(node, action="verify", credential=tampered, documents=documents)
    assert result["verified"] is False
