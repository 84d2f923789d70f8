"""Outbound calls survive a kept-alive connection the server closed: an idempotent request is
sent once more over a new connection; a POST is not (the outbox decides about those)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
import requests

from lti_tool.http import TimeoutSession


class _DropsFirst:
    """A server that reads the first request and closes the connection without answering,
    then answers every later connection with 200."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                self.connections += 1
                request = b""
                while b"\r\n\r\n" not in request:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    request += chunk
                if self.connections == 1:
                    continue  # closed unanswered, as a server whose keep-alive timer ran out
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")


@pytest.fixture
def server() -> Iterator[_DropsFirst]:
    srv = _DropsFirst()
    yield srv
    srv.sock.close()


def test_a_get_is_sent_again_over_a_new_connection(server):
    resp = TimeoutSession().get(f"http://127.0.0.1:{server.port}/line_items", timeout=10)
    assert resp.status_code == 200 and resp.text == "ok"
    assert server.connections == 2


def test_a_post_is_not_sent_twice(server):
    with pytest.raises(requests.ConnectionError):
        TimeoutSession().post(f"http://127.0.0.1:{server.port}/scores", data="{}", timeout=10)
    assert server.connections == 1
