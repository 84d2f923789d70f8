"""Secrets at rest: private keys (and every other ``EncryptedText`` column) are stored as
Fernet ciphertext; the migration encrypts rows written before it and its downgrade decrypts
them; keys rotate with ``keys reencrypt`` without losing a secret."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from lti_tool import create_app, crypto, keys
from lti_tool.extensions import db
from lti_tool.privacy.schema import encrypted_columns

PEM_HEAD = "-----BEGIN PRIVATE KEY-----"


@pytest.fixture
def own_app(tmp_path):
    """An app with a database of its own: these tests change the encryption keys."""
    first = Fernet.generate_key().decode()
    app = create_app(
        "config.testing",
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/crypto.db",
        ENCRYPTION_KEYS=first,
    )
    app.config["FIRST_KEY"] = first
    return app


def _stored_pems() -> list[str]:
    return list(db.session.execute(text("SELECT private_pem FROM tool_key")).scalars())


def test_tool_keys_are_encrypted_in_the_database(app, app_ctx):
    keys.ensure_key()
    db.session.commit()
    stored = _stored_pems()
    assert stored and all(v.startswith("fernet:") and PEM_HEAD not in v for v in stored)
    signing = keys.signing_key()
    assert signing.private_pem.startswith(PEM_HEAD)  # the code reads plaintext


def test_every_secret_column_is_encrypted():
    names = {f"{t.name}.{c.name}" for t, c in encrypted_columns()}
    assert {"tool_key.private_pem", "sandbox_key.private_pem"} <= names


def test_migration_encrypts_existing_rows_and_downgrade_decrypts(own_app):
    with own_app.app_context():
        upgrade(revision="9586b7138621")
        pem = keys._new_key(keys.utcnow())
        db.session.execute(
            text(
                "INSERT INTO tool_key (kid, private_pem, public_jwk, created_at, signing_from) "
                "VALUES ('old', :pem, '{}', '2026-01-01', '2026-01-01')"
            ),
            {"pem": pem.private_pem},
        )
        db.session.commit()
        assert _stored_pems()[0].startswith(PEM_HEAD)

        upgrade(revision="f8a5e4c6b7d5")
        assert _stored_pems()[0].startswith("fernet:")
        # read through SQL: the model has columns of later revisions
        assert crypto.decrypt(_stored_pems()[0]) == pem.private_pem
        db.session.remove()

        downgrade(revision="9586b7138621")
        assert _stored_pems() == [pem.private_pem]


def test_key_rotation_with_reencrypt(own_app):
    first = own_app.config["FIRST_KEY"]
    second = Fernet.generate_key().decode()
    runner = own_app.test_cli_runner()
    with own_app.app_context():
        upgrade(revision="heads")
        keys.ensure_key()
        db.session.commit()
        original = keys.signing_key().private_pem
        before = _stored_pems()

    # A new key goes first; the old one, second in the list, still decrypts.
    own_app.config["ENCRYPTION_KEYS"] = f"{second},{first}"
    with own_app.app_context():
        assert keys.signing_key().private_pem == original
    result = runner.invoke(args=["keys", "reencrypt"])
    assert result.exit_code == 0, result.output
    assert "Re-encrypted 1 stored secrets" in result.output
    assert "tool_key.private_pem 1" in result.output

    # The old key removed: everything still decrypts, under the new key only.
    own_app.config["ENCRYPTION_KEYS"] = second
    with own_app.app_context():
        assert _stored_pems() != before
        assert keys.signing_key().private_pem == original
    own_app.config["ENCRYPTION_KEYS"] = first
    with own_app.app_context(), pytest.raises(crypto.DecryptionError):
        keys.signing_key()


def test_reencrypt_without_the_old_key_fails_cleanly(own_app):
    runner = own_app.test_cli_runner()
    with own_app.app_context():
        upgrade(revision="heads")
        keys.ensure_key()
        db.session.commit()
    own_app.config["ENCRYPTION_KEYS"] = Fernet.generate_key().decode()  # old key dropped too soon
    result = runner.invoke(args=["keys", "reencrypt"])
    assert result.exit_code != 0
    assert "No configured encryption key decrypts this value" in result.output
    assert "Put the old key back" in result.output


def test_new_encryption_key_prints_a_fernet_key(runner):
    result = runner.invoke(args=["keys", "new-encryption-key"])
    assert result.exit_code == 0
    key = result.output.strip()
    Fernet(key.encode())  # a valid key
    assert crypto.PREFIX not in key


def test_columns_named_like_secrets_are_encrypted_or_hashed():
    """A new column for a token, secret or private key must be ``EncryptedText`` (or hold a
    hash): this fails for one stored in clear."""
    from lti_tool.crypto import EncryptedText
    from lti_tool.privacy.schema import load_all_models

    words = ("secret", "private", "token", "password")
    clear = [
        f"{table.name}.{column.name}"
        for table in load_all_models().sorted_tables
        for column in table.columns
        if any(word in column.name for word in words)
        and not column.name.endswith(("_hash", "_url"))  # a hash, or an endpoint's address
        and not isinstance(column.type, EncryptedText)
    ]
    assert clear == []
