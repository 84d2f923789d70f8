"""The kept expansions of document shapes (``proof.expansion``): canonicalizing from a kept
shape gives exactly the N-Quads pyld gives in full, for every kind of document the tool signs
and for documents whose strings a kept shape cannot take."""

from __future__ import annotations

import copy
import secrets
from typing import Any

import pytest
from pyld.jsonld import JsonLdProcessor

from accreditation.credentials.issuance import documents
from accreditation.credentials.proof import expansion, issuer_profile, sign
from accreditation.credentials.proof.identity import did_document_for
from accreditation.credentials.proof.loader import document_loader
from accreditation.credentials.proof.signing import ProofError, _dropped, canonicalize
from accreditation.credentials.proof.status import allocate_status, served_list
from lti_tool.models import Tenant

from .conftest import badge, clr


def in_full(document: dict[str, Any]) -> str:
    """What canonicalizing was before shapes were kept: pyld's expansion and normalization."""
    processor = JsonLdProcessor(on_property_dropped=_dropped)
    options = {"documentLoader": document_loader, "base": None}
    expanded = processor.expand(document, options)
    nquads: str = processor.normalize(
        expanded, {**options, "algorithm": "URDNA2015", "format": "application/n-quads"}
    )
    return nquads


def hashed_badge(tenant: Tenant, word: str) -> dict[str, Any]:
    """A badge as the issuance area builds it for a student known by a hashed email, with
    evidence, results and alignments, its strings all made of ``word``."""
    doc = badge(tenant, name=f"{word} with Acme", credentialStatus=allocate_status(tenant))
    subject = documents.Subject(did="", email=f"{word}@uni.example", lti_user_id="", salt=word)
    achievement = doc["credentialSubject"]["achievement"]
    achievement["alignment"] = [
        {
            "type": ["Alignment"],
            "targetName": f"{word} competency",
            "targetUrl": f"urn:uuid:{secrets.token_hex(4)}-0000-4000-8000-000000000003",
            "targetFramework": "NACE",
            "targetCode": word,
            "targetType": "CFItem",
        }
    ]
    doc["credentialSubject"] = {
        "type": ["AchievementSubject"],
        **subject.properties(),
        "achievement": achievement,
        "result": [{"type": ["Result"], "value": f"{word} level"}],
    }
    doc["evidence"] = [
        {"type": ["Evidence"], "id": f"https://example.org/{word}", "name": word},
        {"type": ["Evidence"], "name": "Comment", "narrative": f'"{word}"\n\\ ccph0x'},
    ]
    return doc


def test_every_kind_of_document_canonicalizes_as_in_full(tenant: Tenant) -> None:
    first = sign(tenant, hashed_badge(tenant, "alpha"))
    kinds = [
        badge(tenant),
        hashed_badge(tenant, "alpha"),
        clr(tenant, first),
        did_document_for(tenant),
        served_list(tenant, 1),
    ]
    for doc in kinds:
        assert canonicalize(doc) == in_full(doc)


def test_a_second_document_of_a_shape_is_written_from_the_kept_one(tenant: Tenant) -> None:
    canonicalize(hashed_badge(tenant, "alpha"))
    before = expansion._template.cache_info()
    second = hashed_badge(tenant, "béta ✓")
    assert canonicalize(second) == in_full(second)
    after = expansion._template.cache_info()
    assert (after.hits, after.misses) == (before.hits + 1, before.misses)


@pytest.mark.parametrize(
    "iri",
    [
        "did:example:student-2",  # written in: an absolute IRI
        "_:b7",  # written in: a blank node
        "xsd:string",  # a compact IRI of a term: expanded in full
        "urn:a b",  # not absolute: expanded in full
    ],
)
def test_an_identifier_is_written_in_only_when_it_expands_to_itself(
    tenant: Tenant, iri: str
) -> None:
    canonicalize(badge(tenant))
    doc = badge(tenant)
    doc["credentialSubject"]["achievement"]["id"] = iri
    assert canonicalize(doc) == in_full(doc)


def test_a_term_as_identifier_is_refused_as_in_full(tenant: Tenant) -> None:
    canonicalize(badge(tenant))
    doc = badge(tenant)
    doc["credentialSubject"]["achievement"]["id"] = "Achievement"
    with pytest.raises(ProofError, match="'Achievement' is not an absolute IRI"):
        canonicalize(doc)


def test_what_a_kept_shape_cannot_take_is_expanded_in_full(tenant: Tenant) -> None:
    inline = badge(tenant)
    inline["@context"] = [*inline["@context"], {"extra": "https://example.org/extra"}]
    inline["extra"] = "a value"
    placeholder_type = badge(tenant, type=["VerifiableCredential", "ccph0x"])
    keyword = badge(tenant)
    keyword["credentialSubject"]["achievement"]["name"] = {"@value": "A name"}
    for doc in (inline, keyword):
        assert canonicalize(doc) == in_full(doc)
    with pytest.raises(ProofError, match="'ccph0x' is not an absolute IRI"):
        canonicalize(placeholder_type)


def test_errors_are_those_of_the_document(tenant: Tenant) -> None:
    canonicalize(badge(tenant))
    relative = badge(tenant)
    relative["credentialSubject"]["id"] = "student-1"
    with pytest.raises(ProofError, match="'student-1' is not an absolute IRI"):
        canonicalize(relative)
    undefined = copy.deepcopy(badge(tenant))
    undefined["credentialSubject"]["favoriteColor"] = "green"
    with pytest.raises(ProofError, match="favoriteColor"):
        canonicalize(undefined)


def test_the_issuers_profile_is_kept_apart_from_the_shape(tenant: Tenant) -> None:
    """Two institutions' badges share a shape; each names its own issuer."""
    other = Tenant(name=f"Other University {secrets.token_hex(4)}")
    from lti_tool.extensions import db

    db.session.add(other)
    db.session.flush()
    ours, theirs = badge(tenant), badge(other)
    assert theirs["issuer"] == issuer_profile(other)
    assert canonicalize(ours) == in_full(ours)
    assert canonicalize(theirs) == in_full(theirs)
    assert issuer_profile(other)["id"] in canonicalize(theirs)
    assert issuer_profile(tenant)["id"] not in canonicalize(theirs)
