"""Revocation with W3C Bitstring Status Lists (statusPurpose ``revocation``).

Each credential gets a ``BitstringStatusListEntry`` naming one bit of one of its tenant's lists
(``allocate_status``); setting the bit revokes it (``set_revoked``). A list is served as a
signed ``BitstringStatusListCredential`` at ``/credentials/<key_set_id>/status/<n>``, its
``encodedList`` the multibase base64url ("u", no padding) of the GZIP-compressed bitstring,
bit 0 the most significant bit of the first byte. The signed credential is kept with the list
and made again only after a bit changed (``served_list``)."""

from __future__ import annotations

import base64
import functools
import gzip
import re
from typing import Any

from sqlalchemy import Integer, bindparam, func, literal, select, update
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


def _new_list(tenant_id: int) -> StatusList | None:
    """A new list after the tenant's last one; None when another transaction made it first
    (or made one since this one found none open: it is taken from, not passed over)."""
    last, open_lists = db.session.execute(
        select(
            func.max(StatusList.number),
            func.count(StatusList.id).filter(StatusList.next_index < StatusList.size),
        ).where(StatusList.tenant_id == tenant_id)
    ).one()
    if open_lists:
        return None
    number = (last or 0) + 1
    try:
        with db.session.begin_nested():
            created = StatusList(
                tenant_id=tenant_id, number=number, bits=bytes(STATUS_LIST_BITS // 8)
            )
            db.session.add(created)
    except IntegrityError:
        return None
    return created


def _forget(list_id: int) -> None:
    """The session's copy of a list that a statement changed is read again when next used
    (its changes were flushed before the statement)."""
    kept = db.session.identity_map.get(db.session.identity_key(StatusList, list_id))
    if kept is not None:
        db.session.expire(kept)


@functools.cache
def _take_next_statement() -> Any:
    """``_take_next``'s statement (bound: ``tenant``), built once per process."""
    open_list = (
        select(StatusList.id)
        .where(
            StatusList.tenant_id == bindparam("tenant"),
            StatusList.next_index < StatusList.size,
        )
        .order_by(StatusList.number.desc())
        .limit(1)
        .scalar_subquery()
    )
    return (
        update(StatusList)
        .where(StatusList.id == open_list, StatusList.next_index < StatusList.size)
        .values(next_index=StatusList.next_index + 1)
        .returning(StatusList.id, StatusList.number, StatusList.purpose, StatusList.next_index)
        .execution_options(synchronize_session=False)
    )


def _take_next(tenant_id: int) -> tuple[int, str, int] | None:
    """The next bit of the tenant's open list, taken in one statement (the list's row locked
    and its ``next_index`` raised; a concurrent taker waits for the row and takes the bit
    after, or none when that one filled the list): (list number, purpose, index), or None
    when the tenant has no open list."""
    db.session.flush()  # a list changed in the session is written first, not forgotten after
    taken = db.session.execute(_take_next_statement(), {"tenant": tenant_id}).first()
    if taken is None:
        return None
    _forget(taken.id)
    return taken.number, taken.purpose, taken.next_index - 1


def allocate_status(tenant: Tenant) -> dict[str, Any]:
    """A ``BitstringStatusListEntry`` (revocation) for a new credential of the tenant: the
    next bit of its open list, never one handed out before. Flushes; the caller commits."""
    taken = _take_next(tenant.id)
    if taken is None:  # no open list: made, in a savepoint that takes SQLite's write lock
        # before the read (lti_tool.settings), as the row lock does on PostgreSQL
        with db.session.begin_nested():
            for _ in range(3):
                taken = _take_next(tenant.id)
                if taken is not None:
                    break
                _new_list(tenant.id)  # None: another transaction made one; taken from above
            else:  # pragma: no cover - three lists made and filled by others meanwhile
                raise RuntimeError("Could not allocate a status list entry; try again.")
    number, purpose, index = taken
    url = status_list_url(tenant, number)
    return {
        "id": f"{url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": purpose,
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
    if db.engine.dialect.name == "postgresql" and _flip_in_place(
        tenant_id, key_set_id, number, index, revoked
    ):
        return
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


@functools.cache
def _flip_statement(revoked: bool) -> Any:
    """``_flip_in_place``'s statement (bound: ``tenant``, ``key_set``, ``list_number``,
    ``index``, ``offset``, ``mask``, ``keep``, ``now``), built once per process."""
    byte = func.get_byte(StatusList.bits, bindparam("offset", type_=Integer))
    mask = bindparam("mask", type_=Integer)
    flipped = byte.op("|")(mask) if revoked else byte.op("&")(bindparam("keep", type_=Integer))
    tenant = select(Tenant.id).where(Tenant.key_set_id == bindparam("key_set"))
    return (
        update(StatusList)
        .where(
            StatusList.tenant_id == bindparam("tenant"),
            StatusList.tenant_id == tenant.scalar_subquery(),
            StatusList.number == bindparam("list_number"),
            StatusList.next_index > bindparam("index"),
            byte.op("&")(mask) == (literal(0) if revoked else mask),
        )
        .values(
            bits=func.set_byte(StatusList.bits, bindparam("offset", type_=Integer), flipped),
            version=StatusList.version + 1,
            updated_at=bindparam("now"),
        )
        .returning(StatusList.id)
        .execution_options(synchronize_session=False)
    )


def _flip_in_place(tenant_id: int, key_set_id: str, number: int, index: int, revoked: bool) -> bool:
    """PostgreSQL: the bit changed by the database in one statement (its row locked as the
    read for update locks it), without reading and writing the whole list here. False when
    nothing changed: the entry names no list of the tenant's, a bit never allocated, or a bit
    already so (``set_revoked`` then reads the list and says which)."""
    if not 0 <= index < STATUS_LIST_BITS:  # get_byte of a byte past the list would fail
        return False
    mask = 0x80 >> (index % 8)
    params = {
        "tenant": tenant_id,
        "key_set": key_set_id,
        "list_number": number,
        "index": index,
        "offset": index // 8,
        "mask": mask,
        "keep": 0xFF ^ mask,
        "now": utcnow(),
    }
    db.session.flush()  # as in _take_next
    changed = db.session.execute(_flip_statement(revoked), params).scalar()
    if changed is None:
        return False
    _forget(changed)
    return True


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
