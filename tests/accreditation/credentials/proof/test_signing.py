"""sign() and verify(): eddsa-rdfc-2022 proofs over bundled contexts, checked offline."""

from __future__ import annotations

import copy
import secrets

import pytest

from accreditation.credentials.proof import (
    ProofError,
    allocate_status,
    document_loader,
    issuer_did,
    set_revoked,
    sign,
    verify,
)
from accreditation.credentials.proof.signing import canonical_options, canonicalize
from lti_tool.extensions import db
from lti_tool.models import Tenant

from .conftest import badge, clr


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


def test_revoked_credential(tenant: Tenant) -> None:
    entry = allocate_status(tenant)
    signed = sign(tenant, badge(tenant, credentialStatus=entry))
    assert verify(signed).state == "valid"
    set_revoked(tenant.id, entry)
    result = verify(signed)
    assert (result.ok, result.state, result.reason) == (
        False,
        "revoked",
        f"{tenant.name} revoked it.",
    )
    set_revoked(tenant.id, entry, revoked=False)
    assert verify(signed).state == "valid"


def test_an_issuer_that_is_not_ours(tenant: Tenant) -> None:
    signed = sign(tenant, badge(tenant))
    for issuer in ("did:web:elsewhere.example:credentials:abc", "https://example.edu", None):
        result = verify({**signed, "issuer": issuer})
        assert (result.ok, result.state, result.issuer_tenant_id) == (
            False,
            "unknown_issuer",
            None,
        )
        assert result.reason == "It was not issued by an institution of this tool."
    assert verify("not a credential").state == "invalid"  # type: ignore[arg-type]


def test_a_proof_missing_or_of_another_kind(tenant: Tenant) -> None:
    unsigned = badge(tenant)
    assert verify(unsigned).reason == "It carries no eddsa-rdfc-2022 Data Integrity proof."
    signed = sign(tenant, unsigned)
    other_suite = {**signed, "proof": {**signed["proof"], "cryptosuite": "ecdsa-rdfc-2019"}}
    assert verify(other_suite).state == "invalid"
    wrong_purpose = {**signed, "proof": {**signed["proof"], "proofPurpose": "authentication"}}
    assert verify(wrong_purpose).reason == "Its proof was not made to assert a credential."
    garbled = {**signed, "proof": {**signed["proof"], "proofValue": "z0OIl"}}
    assert verify(garbled).reason.startswith("The signature does not match the content")


def test_an_undefined_term_is_refused_not_left_unsigned(tenant: Tenant) -> None:
    with pytest.raises(ProofError, match="'favoriteColor' is not defined"):
        sign(tenant, badge(tenant, favoriteColor="green"))
    signed = sign(tenant, badge(tenant))
    result = verify({**signed, "favoriteColor": "green"})  # added after issue
    assert result.state == "invalid"
    assert "favoriteColor" in result.reason


def test_contexts_are_never_fetched(tenant: Tenant) -> None:
    foreign = ["https://www.w3.org/ns/credentials/v2", "https://example.com/my-context.json"]
    with pytest.raises(ProofError, match="does not know"):
        sign(tenant, badge(tenant, **{"@context": foreign}))
    with pytest.raises(ProofError, match="first @context must be"):
        sign(tenant, badge(tenant, **{"@context": foreign[::-1]}))
    with pytest.raises(Exception, match="never fetched"):
        document_loader("https://example.com/my-context.json")
    loaded = document_loader("https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json")
    assert "OpenBadgeCredential" in loaded["document"]["@context"]
    # bundled contexts never change: pyld keeps them resolved across documents
    assert loaded["tag"] == "static"
    with pytest.raises(ProofError, match="does not know"):  # still refused after that
        sign(tenant, badge(tenant, **{"@context": foreign}))


def test_validity_period(tenant: Tenant) -> None:
    expired = sign(tenant, badge(tenant, validUntil="2026-01-01T00:00:00Z"))
    assert verify(expired).reason == "It expired on January 1, 2026."
    future = sign(tenant, badge(tenant, validFrom="2999-01-01T00:00:00Z"))
    assert verify(future).reason == "It is not valid before January 1, 2999."


def test_a_clr_credential_with_an_embedded_badge(tenant: Tenant) -> None:
    member = sign(tenant, badge(tenant))
    signed = sign(tenant, clr(tenant, member))
    assert verify(signed).state == "valid"
    tampered = copy.deepcopy(signed)
    tampered["credentialSubject"]["verifiableCredential"][0]["name"] = "Other"
    assert verify(tampered).reason == (
        "The signature does not match the content: it was changed after issue."
    )
    with pytest.raises(ProofError, match="signed already"):
        sign(tenant, signed)


def test_only_the_named_issuer_signs(tenant: Tenant) -> None:
    with pytest.raises(ProofError, match="issuer is not the institution"):
        sign(tenant, badge(tenant, issuer="did:web:elsewhere.example:credentials:abc"))
    signed = sign(tenant, badge(tenant, issuer=issuer_did(tenant)))  # the DID alone will do
    assert verify(signed).state == "valid"


def test_a_status_entry_of_another_institution(tenant: Tenant) -> None:
    other = Tenant(name=f"Other {secrets.token_hex(4)}")
    db.session.add(other)
    db.session.flush()
    theirs = allocate_status(other)
    set_revoked(other.id, theirs)
    signed = sign(tenant, badge(tenant, credentialStatus=theirs))
    result = verify(signed)
    assert (result.state, result.reason) == (
        "invalid",
        "Its revocation status names a list that is not its issuer's.",
    )


def test_a_relative_identifier_is_refused_not_left_unsigned(tenant: Tenant) -> None:
    with pytest.raises(ProofError, match="'student-1' is not an absolute IRI"):
        sign(tenant, badge(tenant, credentialSubject={"id": "student-1"}))
    signed = sign(tenant, badge(tenant))
    result = verify({**signed, "id": "my-own-id"})
    assert result.state == "invalid" and "'my-own-id' is not an absolute IRI" in result.reason


def test_malformed_documents_are_invalid_not_errors(tenant: Tenant) -> None:
    signed = sign(tenant, badge(tenant))
    nested: object = []
    for _ in range(3000):
        nested = [nested]
    for change in (
        {"@context": 5},
        {"@context": None},
        {"proof": "x"},
        {"proof": {**signed["proof"], "proofValue": 5}},
        {"validUntil": "tomorrow"},
        {"credentialStatus": [5, {"statusPurpose": "revocation"}]},
        {"name": nested},
    ):
        assert verify({**signed, **change}).state == "invalid", change


@pytest.mark.parametrize(
    "created",
    ["2026-12-06T06:00:00Z", "2027-01-31T23:59:59.123Z", "2026-06-01T08:00:00+02:00", "soon", 7],
)
def test_kept_proof_options_canonicalize_as_computed(tenant: Tenant, created) -> None:
    """The canonical proof options written from the kept form equal those computed afresh,
    whatever the time (one that is no date-time is computed, and refused as before)."""
    options = {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "created": created,
        "verificationMethod": f"{issuer_did(tenant)}#key-1",
        "proofPurpose": "assertionMethod",
        "@context": badge(tenant)["@context"],
    }
    try:
        expected = canonicalize(options)
    except ProofError as exc:
        with pytest.raises(ProofError, match=str(exc)):
            canonical_options(options)
        return
    assert canonical_options(options) == expected
    assert canonical_options(options) == expected  # from the kept form
