"""Settings: ``config.default``, then a settings module or mapping, then the environment."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from flask import Config, Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix


class ConfigurationError(RuntimeError):
    """The tool refuses to start with this configuration."""


def instance_path() -> Path:
    """The instance folder (SQLite database, development secrets, uploads, exports):
    ``CAREER_CREDIT_INSTANCE``, else ``instance/`` in the current directory (the repository
    for ``make run``), never a folder inside the installed package."""
    return Path(os.environ.get("CAREER_CREDIT_INSTANCE") or "instance").resolve()


def load(app: Flask, config: str | dict[str, Any] | None, overrides: dict[str, Any]) -> None:
    app.config.from_object("config.default")
    if isinstance(config, str):
        app.config.from_object(config)
    elif config:
        app.config.update(config)
    env = os.environ
    if "CAREER_CREDIT_ENV" in env:
        app.config["CAREER_CREDIT_ENV"] = env["CAREER_CREDIT_ENV"]
    if env.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = env["DATABASE_URL"]
    if env.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = env["SECRET_KEY"]
    app.config.from_prefixed_env("CAREER_CREDIT")
    app.config.update(overrides)
    _finalise(app)


ENVIRONMENTS = ("production", "development", "testing")


def _blank_means_default(cfg: dict[str, Any]) -> None:
    """A setting given an empty value (an environment variable set to "") or None takes its
    default from ``config.default``, unless that default is None itself."""
    import config.default as defaults

    for name in dir(defaults):
        default = getattr(defaults, name)
        if name.isupper() and default is not None and cfg.get(name) in (None, ""):
            cfg[name] = default


def _environment(cfg: Config) -> bool:
    """Settle CAREER_CREDIT_ENV (production when unset) and refuse an unknown one; whether it
    was left unset."""
    # Nothing said which environment this is: production, never the permissive defaults.
    implicit = not cfg.get("CAREER_CREDIT_ENV")
    cfg["CAREER_CREDIT_ENV"] = cfg.get("CAREER_CREDIT_ENV") or "production"
    if cfg["CAREER_CREDIT_ENV"] not in ENVIRONMENTS:
        raise ConfigurationError(
            "CAREER_CREDIT_ENV must be 'production', 'development' (make run sets it) or "
            f"'testing', not {cfg['CAREER_CREDIT_ENV']!r}."
        )
    return implicit


def _production(cfg: Config, implicit: bool) -> None:
    """What production needs set (secret key, database, encryption keys, a virus scanner or an
    explicit opt-out), and what it forces (no sandbox, secure cookies, a proxy hop)."""
    if not cfg.get("SECRET_KEY") or len(str(cfg["SECRET_KEY"])) < 32:
        raise ConfigurationError(
            "Production needs SECRET_KEY set to a random value of at least 32 characters."
            + (
                " CAREER_CREDIT_ENV is not set, so Career Credit runs as production; "
                "set CAREER_CREDIT_ENV=development for a local server (make run does)."
                if implicit
                else ""
            )
        )
    if not cfg.get("SQLALCHEMY_DATABASE_URI"):
        raise ConfigurationError("Production needs DATABASE_URL set explicitly.")
    if not cfg.get("ENCRYPTION_KEYS"):
        raise ConfigurationError(
            "Production needs CAREER_CREDIT_ENCRYPTION_KEYS set to one or more Fernet keys "
            "(generate one with: flask --app lti_tool keys new-encryption-key)."
        )
    if not (cfg.get("CLAMAV_SOCKET") or cfg.get("CLAMAV_HOST")) and not _true(
        cfg.get("VIRUS_SCAN_OPT_OUT")
    ):
        raise ConfigurationError(
            "Production needs a virus scanner for uploads: set CAREER_CREDIT_CLAMAV_SOCKET "
            "or CAREER_CREDIT_CLAMAV_HOST (clamd), or opt out explicitly with "
            "CAREER_CREDIT_VIRUS_SCAN_OPT_OUT=true (the administration page then says "
            "uploads are not scanned). Running without CAREER_CREDIT_ENV set means "
            "production; make run sets CAREER_CREDIT_ENV=development."
        )
    cfg["SANDBOX_ENABLED"] = False
    cfg["SESSION_COOKIE_SECURE"] = True
    cfg["PROXY_HOPS"] = max(int(cfg.get("PROXY_HOPS") or 0), 1)


def _upload_limits(cfg: Config) -> None:
    """Each upload limit below the largest request accepted."""
    limit = cfg.get("MAX_CONTENT_LENGTH")
    for key in ("DELIVERABLE_MAX_BYTES", "RESUME_MAX_BYTES"):
        if limit and cfg.get(key) and int(cfg[key]) >= int(limit):
            raise ConfigurationError(
                f"{key} ({cfg[key]}) must be below MAX_CONTENT_LENGTH ({limit}), the largest "
                "request accepted: raise MAX_CONTENT_LENGTH to a little above it."
            )


def _instance_secrets(app: Flask) -> None:
    """The instance folder (private), and the secret and encryption keys kept there when no
    setting names them (development and tests)."""
    cfg = app.config
    make_private_dir(Path(app.instance_path))
    if not cfg.get("SECRET_KEY"):
        cfg["SECRET_KEY"] = _instance_secret(Path(app.instance_path) / "secret_key")
    if not cfg.get("ENCRYPTION_KEYS"):
        cfg["ENCRYPTION_KEYS"] = _instance_secret(
            Path(app.instance_path) / "encryption_key", Fernet.generate_key().decode()
        )


def _database(app: Flask) -> None:
    """The database URI in the driver's spelling (psycopg 3), its SQLite file private, and
    SQLite's busy timeout."""
    cfg = app.config
    uri = cfg.get("SQLALCHEMY_DATABASE_URI") or f"sqlite:///{app.instance_path}/career_credit.db"
    if uri.startswith("postgres://"):
        uri = "postgresql://" + uri[len("postgres://") :]
    if uri.startswith("postgresql://"):
        uri = "postgresql+psycopg://" + uri[len("postgresql://") :]
    cfg["SQLALCHEMY_DATABASE_URI"] = uri
    _private_sqlite_file(uri)
    if uri.startswith("postgresql"):
        # the connection used last, whose prepared statements are still there (a SQLite
        # database in memory has a pool of one, which takes no such option)
        options = dict(cfg.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        options.setdefault("pool_use_lifo", True)
        # each statement's column descriptions built only when read, and long statements
        # parsed once
        from . import pg_cursor  # psycopg, imported only for a server database

        pg_cursor.parse_long_statements_once()
        connect = dict(options.get("connect_args") or {})
        connect.setdefault("cursor_factory", pg_cursor.Cursor)
        options["connect_args"] = connect
        cfg["SQLALCHEMY_ENGINE_OPTIONS"] = options
    if uri.startswith("sqlite"):
        options = dict(cfg.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        options.setdefault("connect_args", {})["timeout"] = cfg["SQLITE_BUSY_TIMEOUT_MS"] / 1000
        cfg["SQLALCHEMY_ENGINE_OPTIONS"] = options


def _finalise(app: Flask) -> None:
    cfg = app.config
    _blank_means_default(cfg)
    implicit = _environment(cfg)
    if cfg["CAREER_CREDIT_ENV"] == "production":
        _production(cfg, implicit)
    _upload_limits(cfg)
    _instance_secrets(app)
    _database(app)
    # Rate-limit counters: empty = where the LTI state lives (Redis) when set, else memory.
    if not cfg["RATELIMIT_STORAGE_URI"]:
        cfg["RATELIMIT_STORAGE_URI"] = cfg["LTI_STATE_REDIS_URL"] or "swept-memory://"
    if cfg["PROXY_HOPS"]:
        hops = int(cfg["PROXY_HOPS"])
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops
        )


def _true(value: Any) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def make_private_dir(path: Path) -> Path:
    """Create a directory (and parents) readable by the tool's user only (0700); an existing
    one keeps its mode (an operator may have chosen a group)."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def write_private_file(path: Path, data: bytes) -> None:
    """Write a new file readable by the tool's user only (0600), whatever the umask."""
    make_private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def create_private_file(path: Path) -> None:
    """Create an empty file 0600 (before a library opens it with the umask's mode)."""
    make_private_dir(path.parent)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))


def _private_sqlite_file(uri: str) -> None:
    """The SQLite database file is created 0600 (SQLite gives its -wal and -shm files the
    database file's mode)."""
    from sqlalchemy.engine import make_url

    url = make_url(uri)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return
    path = Path(url.database)
    if not path.exists():
        create_private_file(path)


def _instance_secret(path: Path, value: str | None = None) -> str:
    """Read a development secret from instance/, creating it (mode 600) on first run."""
    if path.exists():
        return path.read_text().strip()
    value = value or secrets.token_hex(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another worker created it first
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(value)
    return value


def sqlite_engine_events(app: Flask) -> None:
    """On a SQLite database, nest savepoints inside a transaction that holds the write lock,
    and give each new connection a page cache of ``SQLITE_CACHE_KIB``. Listened on that engine
    only: a connection event on every engine would cost each statement a dispatch."""
    from .extensions import db

    kib = app.config["SQLITE_CACHE_KIB"]
    if not isinstance(kib, int) or isinstance(kib, bool) or kib < 1:
        raise ValueError(f"SQLITE_CACHE_KIB must be a whole number of KiB, 1 or more, not {kib!r}.")
    cache = f"PRAGMA cache_size=-{kib}"  # negative: KiB, not pages

    def set_cache(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute(cache)

    with app.app_context():
        for engine in db.engines.values():
            if engine.dialect.name == "sqlite":
                event.listen(engine, "savepoint", _sqlite_savepoint_inside_a_transaction)
                event.listen(engine, "connect", set_cache)


PLAN_CACHE_MODES = ("auto", "force_generic_plan", "force_custom_plan")


def postgresql_engine_events(app: Flask) -> None:
    """On a PostgreSQL database, set ``POSTGRESQL_PLAN_CACHE_MODE`` on each new connection (a
    SQL ``SET``, not a startup option: connection poolers refuse unknown startup options)."""
    from .extensions import db

    mode = app.config.get("POSTGRESQL_PLAN_CACHE_MODE") or ""
    if not mode:
        return
    if mode not in PLAN_CACHE_MODES:
        raise ValueError(
            f"POSTGRESQL_PLAN_CACHE_MODE must be one of {', '.join(PLAN_CACHE_MODES)} or empty, "
            f"not {mode!r}."
        )
    statement = f"SET plan_cache_mode = {mode}"

    def set_mode(dbapi_connection: Any, _record: Any) -> None:
        with dbapi_connection.cursor() as cursor:
            cursor.execute(statement)
        dbapi_connection.commit()  # a session setting, kept once its transaction commits

    with app.app_context():
        for engine in db.engines.values():
            if engine.dialect.name == "postgresql":
                event.listen(engine, "connect", set_mode)


def _sqlite_savepoint_inside_a_transaction(conn: Any, _name: Any) -> None:
    """Python's sqlite3 opens a transaction only before a write: a SAVEPOINT taken first (a
    service's ``begin_nested`` before anything was written) would open one itself, and its
    RELEASE would commit the request's work so far — a refused request would then keep it.
    Open the request's transaction first, so the savepoint nests inside it as on PostgreSQL.

    ``BEGIN IMMEDIATE``, not a deferred ``BEGIN``: a savepoint is taken to write, and the
    reads inside it come first. A deferred transaction would read a snapshot, and when another
    writer (the outbox runner, another worker) committed before its first write, SQLite could
    not wait its turn there — the snapshot is stale — and would answer "database is locked" at
    once (issue 16: a supervisor's accept). Taking the write lock at the start waits its turn
    (``busy_timeout``) before anything is read. Python's own ``BEGIN`` before a first write
    needs no such care: the write is the transaction's first statement, so SQLite waits."""
    import sqlite3

    raw = conn.connection.dbapi_connection
    if isinstance(raw, sqlite3.Connection) and not raw.in_transaction:
        raw.execute("BEGIN IMMEDIATE")


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL and a busy timeout so several workers can share one SQLite file."""
    import sqlite3

    if isinstance(dbapi_connection, sqlite3.Connection):
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=5000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()
