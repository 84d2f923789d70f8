"""The institution's credential signing keys: made on first use, encrypted at rest, never
logged, rotated by a command with the old key kept (old credentials still verify, new ones use
the new key), retired only when they no longer sign."""

from __future__ import annotations

import logging
import secrets

import pytest
from sqlalchemy import text

from accreditation.credentials.proof import sign, verify
from accreditation.credentials.proof.identity import (
    did_document_for,
    issuer_did,
    published_keys,
    retire_key,
    rotate_key,
    signing_key,
)
from accreditation.credentials.proof.models import IssuerKey
from lti_tool.actor import Actor
from lti_tool.extensions import db
from lti_tool.models import Tenant

from .conftest import badge


def test_first_key_is_made_on_first_use_and_stored_encrypted(tenant: Tenant, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    assert published_keys(tenant.id) == []
    sign(tenant, badge(tenant))
    (key,) = published_keys(tenant.id)
    stored = db.session.execute(
        text("SELECT private_key FROM issuer_key WHERE id = :id"), {"id": key.id}
    ).scalar_one()
    assert stored.startswith("fernet:")
    assert "PRIVATE KEY" not in stored
    assert "PRIVATE KEY" in key.private_key  # the application reads plaintext
    body = key.private_key.splitlines()[1]
    assert body not in caplog.text and "PRIVATE KEY" not in caplog.text


def test_rotation_keeps_old_credentials_valid_and_signs_new_ones_with_the_new_key(
    tenant: Tenant,
) -> None:
    before = sign(tenant, badge(tenant))
    old = signing_key(tenant)
    new = rotate_key(Actor.cli(tenant.id))
    assert new.public_multibase != old.public_multibase
    assert signing_key(tenant).id == new.id
    after = sign(tenant, badge(tenant))
    did = issuer_did(tenant)
    assert before["proof"]["verificationMethod"] == f"{did}#{old.public_multibase}"
    assert after["proof"]["verificationMethod"] == f"{did}#{new.public_multibase}"
    assert verify(before).state == "valid"
    assert verify(after).state == "valid"
    assert did_document_for(tenant)["assertionMethod"] == [
        f"{did}#{old.public_multibase}",
        f"{did}#{new.public_multibase}",
    ]


def test_a_retired_key_leaves_the_document_and_what_it_signed_fails(tenant: Tenant) -> None:
    signed = sign(tenant, badge(tenant))
    old = signing_key(tenant)
    with pytest.raises(ValueError, match="signs new credentials now"):
        retire_key(Actor.cli(tenant.id), old.public_multibase)
    rotate_key(Actor.cli(tenant.id))
    retire_key(Actor.cli(tenant.id), old.public_multibase)
    assert old.public_multibase not in str(did_document_for(tenant))
    result = verify(signed)
    assert (result.state, result.reason) == (
        "invalid",
        "It was signed with a key its issuer does not (or no longer) list.",
    )


def test_another_tenants_key_does_not_verify_as_ours(tenant: Tenant) -> None:
    other = Tenant(name=f"Other {secrets.token_hex(4)}")
    db.session.add(other)
    db.session.flush()
    signed = sign(other, badge(other))
    forged = {**signed, "issuer": badge(tenant)["issuer"]}  # claims our tenant issued it
    result = verify(forged)
    assert result.state == "invalid"
    assert result.issuer_tenant_id == tenant.id


def _committed_tenant() -> Tenant:
    tenant = Tenant(name=f"CLI University {secrets.token_hex(4)}")
    db.session.add(tenant)
    db.session.commit()
    return tenant


def test_rotate_key_command(app_ctx, runner) -> None:
    tenant = _committed_tenant()
    old = signing_key(tenant).public_multibase
    db.session.commit()
    result = runner.invoke(args=["credentials", "rotate-key", "--tenant", tenant.name])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    keys = [key.public_multibase for key in published_keys(tenant.id)]
    assert keys[0] == old and len(keys) == 2
    assert f"Added key {keys[1]} to {issuer_did(tenant)}." in result.output
    assert "PRIVATE" not in result.output

    listed = runner.invoke(args=["credentials", "keys", "--tenant", tenant.name])
    assert listed.exit_code == 0 and keys[1] in listed.output

    retired = runner.invoke(
        args=["credentials", "retire-key", "--tenant", tenant.name, "--key", old]
    )
    assert retired.exit_code == 0, retired.output
    db.session.expire_all()
    assert [key.public_multibase for key in published_keys(tenant.id)] == [keys[1]]


def test_commands_refuse_an_unknown_tenant_and_the_signing_key(app_ctx, runner) -> None:
    result = runner.invoke(args=["credentials", "rotate-key", "--tenant", "No Such School"])
    assert result.exit_code == 1
    assert "There is no tenant named 'No Such School'" in result.output
    tenant = _committed_tenant()
    current = signing_key(tenant).public_multibase
    db.session.commit()
    result = runner.invoke(
        args=["credentials", "retire-key", "--tenant", tenant.name, "--key", current]
    )
    assert result.exit_code == 1
    assert "rotate the key first" in result.output
    assert db.session.get(IssuerKey, signing_key(tenant).id) is not None
