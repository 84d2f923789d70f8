"""Secrets at rest: service tokens, OAuth tokens, web-service tokens and private keys are stored
encrypted with Fernet (``cryptography``) under keys from the environment.

``CAREER_CREDIT_ENCRYPTION_KEYS`` holds one or more Fernet keys separated by commas; the first
encrypts, all of them decrypt (``MultiFernet``), so a key is rotated by putting the new key first,
running ``flask --app lti_tool keys reencrypt`` and then dropping the old key. In development a key
is generated once into ``instance/encryption_key`` (mode 600); production refuses to start without
the variable.

Columns declare ``EncryptedText`` and hold ciphertext; code reads and writes plaintext.
"""

from __future__ import annotations

from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app
from sqlalchemy import Text
from sqlalchemy.types import TypeDecorator

PREFIX = "fernet:"


class DecryptionError(RuntimeError):
    """A stored secret could not be decrypted with any configured key."""


def _keys() -> list[str]:
    raw = current_app.config["ENCRYPTION_KEYS"]
    if isinstance(raw, list | tuple):
        return [str(k).strip() for k in raw if str(k).strip()]
    return [k.strip() for k in str(raw).split(",") if k.strip()]


def fernet() -> MultiFernet:
    keys = _keys()
    if not keys:
        raise RuntimeError("No encryption key is configured (CAREER_CREDIT_ENCRYPTION_KEYS).")
    return MultiFernet([Fernet(k.encode()) for k in keys])


def generate_key() -> str:
    return Fernet.generate_key().decode()


def encrypt(plaintext: str) -> str:
    return PREFIX + fernet().encrypt(plaintext.encode()).decode()


def decrypt(stored: str) -> str:
    if not stored.startswith(PREFIX):
        raise DecryptionError("The stored value is not encrypted.")
    try:
        return fernet().decrypt(stored[len(PREFIX) :].encode()).decode()
    except InvalidToken as exc:
        raise DecryptionError("No configured encryption key decrypts this value.") from exc


def is_encrypted(stored: str | None) -> bool:
    return bool(stored) and str(stored).startswith(PREFIX)


def reencrypt(stored: str) -> str:
    """The same secret under the first (newest) key (a plaintext value left by an older
    release is encrypted)."""
    if not is_encrypted(stored):
        return encrypt(stored)
    try:
        return PREFIX + fernet().rotate(stored[len(PREFIX) :].encode()).decode()
    except InvalidToken as exc:
        raise DecryptionError("No configured encryption key decrypts this value.") from exc


class EncryptedText(TypeDecorator[str]):
    """A text column whose value is encrypted on the way in and decrypted on the way out."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        if value is None:
            return None
        return encrypt(str(value))

    def process_result_value(self, value: Any, dialect: Any) -> str | None:
        if value is None:
            return None
        return decrypt(str(value))


def reencrypt_all() -> dict[str, int]:
    """Re-encrypt every ``EncryptedText`` value in the database under the first key (after a
    new key was put first); returns the count per ``table.column``. Flushes; the caller
    commits. Works on the stored ciphertext, so plaintext never leaves this function."""
    from sqlalchemy import column, select, table, update

    from .extensions import db
    from .privacy.schema import encrypted_columns

    counts: dict[str, int] = {}
    for tbl, col in encrypted_columns():
        pk = next(iter(tbl.primary_key.columns)).name
        raw = table(tbl.name, column(pk), column(col.name, Text))  # plain types: no decryption
        done = 0
        rows = db.session.execute(
            select(raw.c[pk], raw.c[col.name]).where(raw.c[col.name].isnot(None))
        )
        for key, stored in rows.all():
            db.session.execute(
                update(raw).where(raw.c[pk] == key).values({col.name: reencrypt(stored)})
            )
            done += 1
        counts[f"{tbl.name}.{col.name}"] = done
    db.session.flush()
    return counts
