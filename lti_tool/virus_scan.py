"""Virus scanning of uploads with ClamAV's daemon (``clamd``, Debian ``clamav-daemon``) over its
INSTREAM protocol: ``zINSTREAM\\0``, then chunks each prefixed with a 4-byte big-endian
length, then a zero length; clamd answers ``stream: OK`` or ``stream: <signature> FOUND``.

Configured by ``CLAMAV_SOCKET`` (a Unix socket path) or ``CLAMAV_HOST`` (+ ``CLAMAV_PORT``,
default 3310); with neither, uploads are not scanned. A scanner that is configured but does
not answer refuses the upload (fail closed)."""

from __future__ import annotations

import logging
import socket
import struct
from dataclasses import dataclass

from flask import current_app

log = logging.getLogger("career_credit.virus_scan")

CHUNK = 64 * 1024


class ScannerUnavailableError(RuntimeError):
    """The configured scanner did not answer, or answered with an error."""


@dataclass(frozen=True)
class ScanResult:
    clean: bool
    signature: str = ""  # the name clamd gives what it found


def configured() -> bool:
    cfg = current_app.config
    return bool(cfg["CLAMAV_SOCKET"] or cfg["CLAMAV_HOST"])


def connect(timeout: float | None = None) -> socket.socket:
    """A connection to the configured clamd (its Unix socket, or host and port), giving up after
    ``timeout`` seconds (``CLAMAV_TIMEOUT_S`` unless given)."""
    cfg = current_app.config
    timeout = float(cfg["CLAMAV_TIMEOUT_S"]) if timeout is None else timeout
    if cfg["CLAMAV_SOCKET"]:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect(str(cfg["CLAMAV_SOCKET"]))
        except OSError:
            sock.close()
            raise
        return sock
    port = int(cfg["CLAMAV_PORT"])
    return socket.create_connection((str(cfg["CLAMAV_HOST"]), port), timeout=timeout)


def scan_bytes(data: bytes) -> ScanResult:
    """Scan ``data`` with clamd; raises ``ScannerUnavailableError`` if it cannot."""
    try:
        with connect() as sock:
            sock.sendall(b"zINSTREAM\0")
            for start in range(0, len(data), CHUNK):
                chunk = data[start : start + CHUNK]
                sock.sendall(struct.pack(">I", len(chunk)) + chunk)
            sock.sendall(struct.pack(">I", 0))
            reply = _reply(sock)
    except OSError as exc:
        log.error("virus scanner unreachable: %s", type(exc).__name__)
        raise ScannerUnavailableError(f"The virus scanner did not answer ({exc}).") from exc
    answer = reply.rstrip(b"\0").decode("utf-8", "replace").strip()
    if answer.endswith("OK"):
        return ScanResult(clean=True)
    if answer.endswith("FOUND"):
        signature = answer.removeprefix("stream:").removesuffix("FOUND").strip()
        log.warning("virus scanner refused an upload: %s", signature)
        return ScanResult(clean=False, signature=signature)
    log.error("virus scanner error: %s", answer[:200])
    raise ScannerUnavailableError(f"The virus scanner answered with an error: {answer[:200]}")


def _reply(sock: socket.socket, limit: int | None = None) -> bytes:
    """clamd's answer up to its closing NUL (at most about ``limit`` bytes when given)."""
    reply = b""
    while not reply.endswith(b"\0") and (limit is None or len(reply) < limit):
        part = sock.recv(limit or 4096)
        if not part:
            break
        reply += part
    return reply


def ping(timeout: float | None = None) -> None:
    """Check that the configured scanner answers ``PING`` with ``PONG``: raises the connection's
    ``OSError``, or ``ConnectionError`` for any other answer."""
    with connect(timeout) as sock:
        sock.sendall(b"zPING\0")
        answer = _reply(sock, limit=64)
    if answer.rstrip(b"\0").strip() != b"PONG":
        raise ConnectionError("clamd did not answer PONG")
