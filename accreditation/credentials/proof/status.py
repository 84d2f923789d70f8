"""Revocation with W3C Bitstring Status Lists (statusPurpose ``revocation``).

Each credential gets a ``BitstringStatusListEntry`` naming one bit of one of its tenant's lists
(``allocate_status``); setting the bit revokes it (``set_revoked``). A list is served as a
signed ``BitstringStatusListCredential`` at ``/credentials/<key_set_id>/status/<n>``, its
``encodedList`` the multibase base64url ("u", no padding) of the GZIP-compressed bitstring,
bit 0 the most significant bit of the first byte. The signed credential is kept with the list
and made again only after a bit changed (``served_list``)."""

from __future__ import annotations

import base64
import gzip
import re
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from lti_tool.extensions import db
from lti_tool.models import Tenant, utcnow

from .identity import issuer_did, public_base_url
from .loader import VC_V2
from .models import STATUS_LIST_BITS, StatusList

_LIST_PATH = re.compile(r"^/credentials/(?P<key_set>[A-Za-z0-9_-]{1,64})/status/(?P<n>[0-9]{1,9})$")


class StatusError(ValueError):
    """A status entry that names no list of this installation (or of the wrong tenant)."""


def status_list_url(tenant: Tenant, number: int) -> str:
    return f"{public_base_url()}/credentials/{tenant.key_set_id}/status/{number}"


def _locked(query: Any) -> Any:
    """The query's status list rows locked for this transaction (PostgreSQL; SQLite's savepoint
    holds the write lock already) and read afresh, not from what the session loaded before the
    lock. Only the lists' rows: a plain ``FOR UPDATE`` of a query joined to ``tenant`` locked
    the tenant's row too, and every insert of the institution (its foreign key check) waited
    for the runner that was revoking a credential to commit."""
    query = query.execution_options(populate_existing=True)
    if db.engine.dialect.name != "postgresql":
        return query
    return query.with_for_update(of=StatusList)


def _open_list(tenant_id: int) -> StatusList | None:
    return db.session.scalar(
        _locked(
            select(StatusList)
            .where(StatusList.tenant_id == tenant_id, StatusList.next_index < StatusList.size)
            .order_by(StatusList.number.desc())
            .limit(1)
        )
    )


def _new_list(tenant_id: int) -> StatusList | None:
    """A new list after the tenant's last one; None when another transaction made it first."""
    number = (
        db.session.scalar(
            select(func.max(StatusList.number)).where(StatusList.tenant_id == tenant_id)
        )
        or 0
    ) + 1
    try:
        with db.session.begin_nested():
            created = StatusList(
                tenant_id=tenant_id, number=number, bits=bytes(STATUS_LIST_BITS // 8)
            )
            db.session.add(created)
    except IntegrityError:
        return None
    return created


def allocate_status(tenant: Tenant) -> dict[str, Any]:
    """A ``BitstringStatusListEntry`` (revocation) for a new credential of the tenant: the
    next bit of its open list, never one handed out before. Flushes; the caller commits."""
    # The savepoint takes SQLite's write lock before the read (lti_tool.settings), as the row
    # lock does on PostgreSQL: two issuers never read the same next index.
    with db.session.begin_nested():
        for _ in range(3):
            found = _open_list(tenant.id) or _new_list(tenant.id)
            if found is not None:
                break
        else:  # pragma: no cover - three lists made by others in the meantime
            raise RuntimeError("Could not allocate a status list entry; try again.")
        index = found.next_index
        found.next_index = index + 1
    url = status_list_url(tenant, found.number)
    return {
        "id": f"{url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": found.purpose,
        "statusListIndex": str(index),
        "statusListCredential": url,
    }


def _parse_entry(entry: dict[str, Any]) -> tuple[str, int, int]:
    """(key_set_id, list number, index) of an entry that names one of our lists."""
    if not isinstance(entry, dict) or entry.get("type") != "BitstringStatusListEntry":
        raise StatusError("The status entry is not a BitstringStatusListEntry.")
    url = str(entry.get("statusListCredential", ""))
    base = public_base_url()
    match = _LIST_PATH.match(url[len(base) :]) if url.startswith(base + "/") else None
    if match is None:
        raise StatusError("The status entry names a list that is not one of this tool's.")
    try:
        index = int(str(entry.get("statusListIndex", "")))
    except ValueError as exc:
        raise StatusError("The status entry's index is not a number.") from exc
    return match["key_set"], int(match["n"]), index


def _list_of(key_set_id: str, number: int, *, lock: bool = False) -> StatusList | None:
    query = (
        select(StatusList)
        .join(Tenant, Tenant.id == StatusList.tenant_id)
        .where(Tenant.key_set_id == key_set_id, StatusList.number == number)
    )
    return db.session.scalar(_locked(query) if lock else query)


def _bit(bits: bytes, index: int) -> bool:
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def set_revoked(tenant_id: int, entry: dict[str, Any], revoked: bool = True) -> None:
    """Set (or clear) the entry's bit in its list of the tenant's. ``StatusError`` when the
    entry names another tenant's list, no list, or a bit never allocated. Flushes."""
    key_set_id, number, index = _parse_entry(entry)
    with db.session.begin_nested():  # the write lock before the read, as in allocate_status
        found = _list_of(key_set_id, number, lock=True)
        if found is None or found.tenant_id != tenant_id:
            raise StatusError("The status entry names no status list of this institution.")
        if not 0 <= index < found.next_index:
            raise StatusError("The status entry names a bit that was never allocated.")
        if _bit(found.bits, index) == revoked:
            return
        bits = bytearray(found.bits)
        bits[index // 8] ^= 0x80 >> (index % 8)
        found.bits = bytes(bits)
        found.version += 1
        found.updated_at = utcnow()


def status_list_tenant(entry: dict[str, Any]) -> int:
    """The tenant whose list the entry names (``StatusError`` when it names none of ours)."""
    key_set_id, number, _ = _parse_entry(entry)
    found = _list_of(key_set_id, number)
    if found is None:
        raise StatusError("The status entry names no status list of this tool.")
    return found.tenant_id


def is_revoked(entry: dict[str, Any]) -> bool:
    """Whether the entry's bit is set (``StatusError`` when it names none of our lists)."""
    key_set_id, number, index = _parse_entry(entry)
    found = _list_of(key_set_id, number)
    if found is None or not 0 <= index < found.size:
        raise StatusError("The status entry names no status list of this tool.")
    return _bit(found.bits, index)


def encode_list(bits: bytes) -> str:
    """``encodedList``: "u" + base64url (no padding) of the GZIP-compressed bitstring."""
    compressed = gzip.compress(bits, mtime=0)
    return "u" + base64.urlsafe_b64encode(compressed).decode().rstrip("=")


def decode_list(encoded: str) -> bytes:
    if not encoded.startswith("u"):
        raise StatusError("The encoded list is not multibase base64url.")
    data = encoded[1:]
    return gzip.decompress(base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)))


def _unsigned_list_credential(tenant: Tenant, found: StatusList) -> dict[str, Any]:
    url = status_list_url(tenant, found.number)
    return {
        "@context": [VC_V2],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_did(tenant),
        "validFrom": found.updated_at.replace(microsecond=0).isoformat() + "Z",
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": found.purpose,
            "encodedList": encode_list(found.bits),
        },
    }


def served_list(tenant: Tenant, number: int) -> dict[str, Any] | None:
    """The signed status list credential of the tenant's list ``number`` (None if there is
    none): the one kept with the list while no bit changed since, else signed now and kept
    (flushes; the caller commits)."""
    from .signing import sign

    found = db.session.scalar(
        select(StatusList).where(StatusList.tenant_id == tenant.id, StatusList.number == number)
    )
    if found is None:
        return None
    url = status_list_url(tenant, found.number)
    # kept while no bit changed and the public address is the one it was signed for
    if found.signed is not None and (found.signed_version, found.signed.get("id")) == (
        found.version,
        url,
    ):
        return found.signed
    signed = sign(tenant, _unsigned_list_credential(tenant, found))
    found.signed, found.signed_version = signed, found.version
    db.session.flush()
    return signed


def status_list_credential_at(url: str) -> dict[str, Any] | None:
    """The signed status list credential at one of our status list URLs (the document
    loader's), or None when ``url`` is not one."""
    base = public_base_url()
    match = _LIST_PATH.match(url[len(base) :]) if url.startswith(base + "/") else None
    if match is None:
        return None
    tenant = db.session.scalar(select(Tenant).where(Tenant.key_set_id == match["key_set"]))
    return served_list(tenant, int(match["n"])) if tenant is not None else None
