"""Command-line interface: ``flask --app lti_tool registration|keys|listings|...``.

Every command registered on ``app.cli`` (through any group, including the blueprints' groups
and those added later) is guarded once, when click looks it up:

- a person's mistake — a bad file, bad JSON or CSV, an unknown tenant, an invalid option value,
  a refusal of the domain (``AppError``) or of a connector (``ExternalError``), ``ValueError``
  (``json.JSONDecodeError`` and ``UnicodeDecodeError`` are ValueErrors), ``OSError`` of a file,
  ``csv.Error`` — prints one line, ``Error: ...``, on standard error and exits non-zero (2 for a
  usage mistake, else 1);
- anything else is a bug: one line says so with a reference, and the traceback goes to the
  CLI error log (``CLI_ERROR_LOG``, default ``<instance>/logs/cli-errors.log``), not the
  terminal.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import logging
import os
import secrets
import traceback
from collections.abc import Callable, Mapping
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, NoReturn

import click
from flask import Flask
from flask.cli import AppGroup, ScriptInfo

from .errors import EXPLAINED

if TYPE_CHECKING:
    from .models import Tenant

log = logging.getLogger("career_credit.cli")

_GUARDED = "_career_credit_guarded"
PERSON_ERRORS: tuple[type[BaseException], ...] = (*EXPLAINED, ValueError, OSError, csv.Error)


class CommandUsageError(click.ClickException):
    """A usage mistake (missing argument, invalid option value) as one line."""

    exit_code = 2


def register_cli(app: Flask, areas: Mapping[str, ModuleType]) -> None:
    """A ``flask <area>`` group for each area, named after it, of its module's ``COMMANDS``
    (with ``HELP``). A group's first name, which scripts and the docs of earlier releases use,
    stays: a group of the same commands under the old name (the module's ``FIRST_NAMES``), which
    ``flask --help`` lists with the name it has now."""
    first: dict[str, tuple[list[click.Command], list[str]]] = {}
    for area, module in areas.items():
        app.cli.add_command(cli_group(area, *module.COMMANDS, help=module.HELP))
        for old, commands in getattr(module, "FIRST_NAMES", {}).items():
            entry = first.setdefault(old, ([], []))
            entry[0].extend(commands)
            entry[1].append(f"'flask {area}'")
    for old, (commands, now) in first.items():
        help_text = f"Now {' and '.join(now)}: the same commands under their first name."
        app.cli.add_command(cli_group(old, *commands, help=help_text))


def fail(message: str) -> NoReturn:
    """Roll back what the command did and exit with ``message`` as one line."""
    from .extensions import db

    db.session.rollback()
    raise click.ClickException(message)


def tenant_named(name: str) -> Tenant:
    """The tenant called ``name`` (an operator names tenants); a one-line refusal if none is."""
    from sqlalchemy import select

    from .extensions import db
    from .models import Tenant

    tenant = db.session.scalar(select(Tenant).where(Tenant.name == name))
    if tenant is None:
        fail(f"There is no tenant named {name!r} ('flask registration list' shows them).")
    return tenant


def cli_group(name: str, *commands: click.Command, help: str | None = None) -> AppGroup:
    """A new ``flask <name>`` group of ``commands``, for a domain's ``register(app)`` to add to
    ``app.cli`` (a new group per app: registering never changes a module's objects)."""
    group = AppGroup(name, help=help)
    for command in commands:
        group.add_command(command)
    return group


def one_line(text: str) -> str:
    """``text`` with every run of whitespace (newlines too) as one space."""
    return " ".join(str(text).split())


def describe(exc: BaseException) -> str:
    """What went wrong, in one line, for the person who ran the command."""
    if isinstance(exc, EXPLAINED):
        hint = exc.__dict__.get("hint")  # only a hint given for this error, not the web default
        return one_line(f"{exc.message} {hint}" if hint else exc.message)
    if isinstance(exc, click.UsageError):
        ctx = exc.ctx
        see = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
        return one_line(exc.format_message()) + see
    if isinstance(exc, OSError) and exc.strerror:
        where = f": {exc.filename}" if exc.filename else ""
        return one_line(f"{exc.strerror}{where}")
    return one_line(str(exc)) or type(exc).__name__


def error_log_path() -> Path:
    """Where the tracebacks of unexpected CLI errors go."""
    app: Flask | None = None
    ctx = click.get_current_context(silent=True)
    info = ctx.find_object(ScriptInfo) if ctx is not None else None
    if info is not None:
        try:
            app = info.load_app()
        except Exception:  # the app that failed to load cannot say where its log goes
            app = None
    configured = app.config.get("CLI_ERROR_LOG") if app is not None else None
    if configured:
        return Path(configured)
    if app is not None:
        return Path(app.instance_path) / "logs" / "cli-errors.log"
    from .settings import instance_path

    return instance_path() / "logs" / "cli-errors.log"


def _traceback_text(exc: BaseException) -> str:
    """The traceback, safe to keep: no SQL parameters (they may be a person's data), each line
    through the log redaction (no bearer values, no control characters)."""
    from sqlalchemy.exc import StatementError

    from .web import redact

    for link in (exc, exc.__cause__, exc.__context__):
        if isinstance(link, StatementError):
            link.hide_parameters = True
    lines = "".join(traceback.format_exception(exc)).splitlines()
    return "\n".join(redact(line) for line in lines)


def _record_bug(command_path: str, exc: BaseException) -> tuple[str, Path | None]:
    """Write the exception's traceback to the CLI error log; (reference, log path), path None
    when the log could not be written (the traceback then goes to logging)."""
    reference = secrets.token_hex(6)
    path = error_log_path()
    stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    entry = f"{stamp} {command_path} reference {reference}\n{_traceback_text(exc)}\n\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as handle:
            handle.write(entry)
    except OSError:
        log.error("Unexpected error in %s (reference %s)", command_path, reference, exc_info=True)
        return reference, None
    return reference, path


def _guard_callback(callback: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(callback)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        try:
            return callback(*args, **kwargs)
        except click.UsageError as exc:
            raise CommandUsageError(describe(exc)) from None
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except PERSON_ERRORS as exc:
            raise click.ClickException(describe(exc)) from None
        except Exception as exc:
            from sqlalchemy.exc import DBAPIError

            ctx = click.get_current_context(silent=True)
            command_path = ctx.command_path if ctx is not None else "flask"
            reference, path = _record_bug(command_path, exc)
            where = f"the details are in {path}" if path else "the details are in the log"
            if isinstance(exc, DBAPIError):
                raise click.ClickException(
                    f"The database refused the command ({type(exc.orig).__name__}): check that "
                    "it is reachable and upgraded (flask --app lti_tool db upgrade). "
                    f"Reference {reference}; {where}."
                ) from None
            raise click.ClickException(
                f"The command stopped on an unexpected error: a bug in Career Credit, not a "
                f"mistake of yours. Reference {reference}; {where}."
            ) from None

    return guarded


def _guard_parse_args(command: click.Command) -> None:
    parse_args = command.parse_args

    def guarded_parse_args(ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return parse_args(ctx, args)
        except click.UsageError as exc:
            raise CommandUsageError(describe(exc)) from None

    command.parse_args = guarded_parse_args  # type: ignore[method-assign]


def guard(command: click.Command) -> click.Command:
    """Make ``command`` (and, as click looks them up, a group's commands) answer a person's
    mistake with one line and a bug with a reference, never a traceback. Idempotent."""
    if getattr(command, _GUARDED, False):
        return command
    setattr(command, _GUARDED, True)
    if isinstance(command, click.Group):
        get_command = command.get_command

        def guarded_get_command(ctx: click.Context, name: str) -> click.Command | None:
            found = get_command(ctx, name)
            return guard(found) if found is not None else None

        command.get_command = guarded_get_command  # type: ignore[method-assign,assignment]
    else:
        _guard_parse_args(command)
    if command.callback is not None:
        command.callback = _guard_callback(command.callback)
    return command
