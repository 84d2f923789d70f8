"""Bitstring Status Lists: allocation never hands an index out twice (a full list gives way to
a new one; concurrent issuers get different bits), revocation stays within its tenant."""

from __future__ import annotations

import secrets
import threading

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError

from accreditation.credentials.proof import StatusError, allocate_status, is_revoked, set_revoked
from accreditation.credentials.proof.models import StatusList
from accreditation.credentials.proof.status import decode_list, encode_list
from lti_tool.extensions import db
from lti_tool.models import Tenant


def test_entries_are_consecutive_bits_of_the_tenants_list(tenant: Tenant) -> None:
    first, second = allocate_status(tenant), allocate_status(tenant)
    assert first["type"] == "BitstringStatusListEntry"
    assert first["statusPurpose"] == "revocation"
    assert (first["statusListIndex"], second["statusListIndex"]) == ("0", "1")
    url = f"http://localhost/credentials/{tenant.key_set_id}/status/1"
    assert first["statusListCredential"] == url
    assert first["id"] == f"{url}#0"
    assert not is_revoked(first)


def test_a_full_list_gives_way_to_a_new_one(tenant: Tenant) -> None:
    allocate_status(tenant)
    listed = db.session.scalar(select(StatusList).where(StatusList.tenant_id == tenant.id))
    assert listed is not None and listed.size == 131_072
    listed.next_index = listed.size - 1
    last = allocate_status(tenant)
    assert last["statusListIndex"] == str(listed.size - 1)
    following = allocate_status(tenant)
    assert following["statusListIndex"] == "0"
    assert following["statusListCredential"].endswith("/status/2")


def test_revoking_sets_and_clears_one_bit(tenant: Tenant) -> None:
    entries = [allocate_status(tenant) for _ in range(10)]
    set_revoked(tenant.id, entries[9])
    assert [is_revoked(e) for e in entries] == [False] * 9 + [True]
    set_revoked(tenant.id, entries[9])  # again: no change
    listed = db.session.scalar(select(StatusList).where(StatusList.tenant_id == tenant.id))
    assert listed is not None and listed.version == 1
    assert listed.bits[1] == 0b0100_0000  # bit 9: the second byte's second bit from the left
    set_revoked(tenant.id, entries[9], revoked=False)
    assert not is_revoked(entries[9]) and listed.version == 2


def test_another_tenant_cannot_revoke(tenant: Tenant) -> None:
    entry = allocate_status(tenant)
    other = Tenant(name=f"Other {secrets.token_hex(4)}")
    db.session.add(other)
    db.session.flush()
    with pytest.raises(StatusError, match="names no status list of this institution"):
        set_revoked(other.id, entry)
    assert not is_revoked(entry)
    set_revoked(tenant.id, entry)  # its own tenant can
    assert is_revoked(entry)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"statusListIndex": "5"}, "never allocated"),
        ({"statusListIndex": "x"}, "not a number"),
        ({"statusListCredential": "https://elsewhere.example/status/1"}, "not one of this"),
        ({"type": "StatusList2021Entry"}, "not a BitstringStatusListEntry"),
    ],
)
def test_entries_that_name_no_bit_of_ours_are_refused(tenant: Tenant, change, reason) -> None:
    entry = {**allocate_status(tenant), **change}
    with pytest.raises(StatusError, match=reason):
        set_revoked(tenant.id, entry)


def test_encoded_list_round_trips() -> None:
    bits = bytearray(16_384)
    bits[0], bits[-1] = 0x80, 0x01
    encoded = encode_list(bytes(bits))
    assert encoded.startswith("u") and "=" not in encoded
    assert decode_list(encoded) == bytes(bits)


def test_concurrent_issuers_get_different_bits(app) -> None:
    with app.app_context():
        tenant = Tenant(name=f"Race University {secrets.token_hex(4)}")
        db.session.add(tenant)
        db.session.commit()
        tenant_id = tenant.id
    barrier = threading.Barrier(4)
    indexes: list[tuple[str, str]] = []
    errors: list[BaseException] = []

    def issue() -> None:
        with app.app_context():
            try:
                mine = db.session.get(Tenant, tenant_id)
                assert mine is not None
                barrier.wait()
                for _ in range(5):
                    entry = allocate_status(mine)
                    db.session.commit()
                    indexes.append((entry["statusListCredential"], entry["statusListIndex"]))
            except BaseException as exc:
                errors.append(exc)

    threads = [threading.Thread(target=issue) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(indexes) == 20 and len(set(indexes)) == 20
    assert {index for _, index in indexes} == {str(i) for i in range(20)}


def test_revoking_locks_the_list_not_the_institution(app) -> None:
    """A revocation holds its status list's row until it commits, and nothing else: the
    tenant's row stays free for the foreign key checks of every other insert of the
    institution (a lock on it made each request of the tenant wait for the runner)."""
    with app.app_context():
        tenant = Tenant(name=f"Lock University {secrets.token_hex(4)}")
        db.session.add(tenant)
        db.session.flush()
        entry = allocate_status(tenant)
        db.session.commit()
        tenant_id = tenant.id
        set_revoked(tenant_id, entry)  # uncommitted: its locks are held
        if db.engine.dialect.name != "postgresql":  # SQLite: one writer at a time anyway
            assert is_revoked(entry)
            db.session.rollback()
            return
        with db.engine.connect() as other:
            key_share = "SELECT 1 FROM tenant WHERE id = :t FOR KEY SHARE NOWAIT"
            assert other.execute(text(key_share), {"t": tenant_id}).scalar() == 1
            other.rollback()
            lock_lists = (
                "SELECT 1 FROM credential_status_list WHERE tenant_id = :t FOR UPDATE NOWAIT"
            )
            with pytest.raises(OperationalError, match="could not obtain lock"):
                other.execute(text(lock_lists), {"t": tenant_id})
            other.rollback()
        db.session.rollback()
