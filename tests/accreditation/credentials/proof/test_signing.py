"""sign() and verify(): eddsa-rdfc-2022 proofs over bundled contexts, checked offline."""

from __future__ import annotations

import copy

from accreditation.credentials.proof import (
    issuer_did,
    sign,
    verify,
)
from lti_tool.models import Tenant

from .conftest import badge


def test_signed_badge_verifies(tenant: Tenant) -> None:
    signed = sign(tenant, badge(tenant))
    proof = signed["proof"]
    assert proof["type"] == "DataIntegrityProof"
    assert proof["cryptosuite"] == "eddsa-rdfc-2022"
    assert proof["proofPurpose"] == "assertionMethod"
    assert proof["verificationMethod"].startswith(issuer_did(tenant) + "#z6Mk")
    assert proof["proofValue"].startswith("z")
    result = verify(signed)
    assert (result.ok, result.state, result.issuer_tenant_id) == (True, "valid", tenant.id)


def test_a_changed_field_fails(tenant: Tenant) -> None:
    signed = sign(tenant, badge(tenant))
    assert verify(signed).ok
    tampered = copy.deepcopy(signed)
    tampered["credentialSubject"]["achievement"]["name"] = "Brain surgery"
    result = verify(tampered)
    assert (result.ok, result.state) == (False, "invalid")
    assert result.reason == "The signature does not match the content: it was changed after issue."
