"""The shared public-address check for person-supplied URLs: private answers refused, the
connection pinned to the vetted address (no second lookup), no redirects, generic errors."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
import urllib3.util.connection

from lti_tool import netguard
from lti_tool.actor import Actor

REAL_GETADDRINFO = socket.getaddrinfo
PUBLIC = "93.184.216.34"


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path.startswith("/redirect"):
            self.send_response(302)
            self.send_header("Location", "/ok")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = json.dumps({"host": self.headers.get("Host"), "path": self.path}).encode()
        self.server.hits.append(self.path)  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[ThreadingHTTPServer]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.hits = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def fake_dns(monkeypatch: pytest.MonkeyPatch, answers: dict[str, list[str]]) -> list[str]:
    """Resolve the names in ``answers`` to the next address of their list (the last one
    repeats); everything else (IP literals) as the system does. Returns the names looked up."""
    looked_up: list[str] = []

    def resolve(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host in answers:
            looked_up.append(host)
            queue = answers[host]
            address = queue.pop(0) if len(queue) > 1 else queue[0]
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            sockaddr = (address, port or 0, 0, 0) if family == socket.AF_INET6 else (address, port)
            return [(family, socket.SOCK_STREAM, 6, "", sockaddr)]
        return REAL_GETADDRINFO(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    return looked_up


def route_connections(
    monkeypatch: pytest.MonkeyPatch, server: ThreadingHTTPServer
) -> list[tuple[str, int]]:
    """Record where urllib3 connects; a connection to the public test address reaches the
    local test server (a stand-in for the real machine at that address)."""
    targets: list[tuple[str, int]] = []
    real = urllib3.util.connection.create_connection

    def connect(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        targets.append(address)
        if address[0] == PUBLIC:
            return real(server.server_address[:2], *args, **kwargs)
        return real(address, *args, **kwargs)

    monkeypatch.setattr(urllib3.util.connection, "create_connection", connect)
    return targets


def guarded() -> netguard.GuardedSession:
    return netguard.GuardedSession(allow_private=lambda: False)


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.1.2.3", "169.254.169.254", "::1", "::ffff:127.0.0.1", "fd00::1", "0.0.0.0"],  # noqa: S104
)
def test_private_resolutions_are_refused_before_any_connection(monkeypatch, address):
    fake_dns(monkeypatch, {"lms.example.edu": [PUBLIC], "sneaky.example.edu": [address]})
    targets: list[Any] = []
    monkeypatch.setattr(
        urllib3.util.connection, "create_connection", lambda a, *x, **k: targets.append(a)
    )
    # positive control: the public name passes the check
    assert str(netguard.check_public_host("https://lms.example.edu/x")) == PUBLIC
    with pytest.raises(netguard.AddressRefusedError) as refused:
        guarded().get("https://sneaky.example.edu/api/v1/courses?access_token=secret")
    assert refused.value.reason == "private_address"
    assert str(refused.value) == netguard.GENERIC_MESSAGE
    assert address not in str(refused.value) and "sneaky" not in str(refused.value)
    assert targets == []


def test_allow_private_setting_lets_the_sandbox_through(monkeypatch, server):
    fake_dns(monkeypatch, {"sandbox.test": ["127.0.0.1"]})
    port = server.server_address[1]
    with pytest.raises(netguard.AddressRefusedError):
        guarded().get(f"http://sandbox.test:{port}/ok")
    session = netguard.GuardedSession(allow_private=lambda: True)
    assert session.get(f"http://sandbox.test:{port}/ok").json()["path"] == "/ok"


def test_allow_private_follows_the_configuration(app):
    with app.app_context():
        assert netguard.allow_private_hosts() is True  # testing: DYNREG_ALLOW_PRIVATE_HOSTS
        app.config["OUTBOUND_ALLOW_PRIVATE_HOSTS"] = False
        try:
            assert netguard.allow_private_hosts() is False
        finally:
            app.config.pop("OUTBOUND_ALLOW_PRIVATE_HOSTS")
    assert netguard.allow_private_hosts() is False  # outside an app: never


def test_connection_is_pinned_to_the_first_vetted_address(monkeypatch, server):
    """DNS rebinding: public for the check, private a moment later. The transport resolves
    once and connects to the vetted address, sending the original name as Host."""
    looked_up = fake_dns(monkeypatch, {"rebind.example.edu": [PUBLIC, "127.0.0.1"]})
    targets = route_connections(monkeypatch, server)
    answer = guarded().get("http://rebind.example.edu/ok")
    assert answer.status_code == 200
    assert answer.json() == {"host": "rebind.example.edu", "path": "/ok"}
    assert looked_up == ["rebind.example.edu"]  # one lookup, none by the connection
    assert targets == [(PUBLIC, 80)]
    # the name now resolves to 127.0.0.1: a new request is refused, never connected there
    with pytest.raises(netguard.AddressRefusedError):
        guarded().get("http://rebind.example.edu/ok")
    assert all(target[0] == PUBLIC for target in targets)


def test_tls_keeps_the_original_name_for_sni_and_the_certificate(monkeypatch):
    fake_dns(monkeypatch, {"canvas.example.edu": [PUBLIC]})
    adapter = netguard.PinnedAdapter(lambda: False)
    request = requests.Request("GET", "https://canvas.example.edu/api/v1/x").prepare()
    pool = adapter.get_connection_with_tls_context(request, True)
    assert pool.host == PUBLIC
    assert pool.conn_kw["server_hostname"] == "canvas.example.edu"


def test_redirects_are_not_followed(monkeypatch, server):
    fake_dns(monkeypatch, {"lms.example.edu": [PUBLIC]})
    route_connections(monkeypatch, server)
    assert guarded().get("http://lms.example.edu/ok").status_code == 200  # control
    with pytest.raises(netguard.RedirectRefusedError) as refused:
        guarded().get("http://lms.example.edu/redirect", allow_redirects=True)
    assert str(refused.value) == netguard.GENERIC_MESSAGE
    assert server.hits == ["/ok"]  # the redirect's target was never asked for


def test_unresolvable_name_is_a_generic_refusal(monkeypatch):
    def fail(*args: Any, **kwargs: Any) -> Any:
        raise socket.gaierror("Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", fail)
    with pytest.raises(netguard.AddressRefusedError) as refused:
        guarded().get("https://nowhere.example.edu/")
    assert refused.value.reason == "unresolvable"
    assert str(refused.value) == netguard.GENERIC_MESSAGE


def test_log_line_leaves_out_the_query(caplog):
    from connectors.errors import failure_detail, log_unreachable

    exc = netguard.AddressRefusedError("'x' resolves to 10.0.0.1", reason="private_address")
    url = "https://u:p@x.example.edu:8443/a?wstoken=SECRET#f"
    with caplog.at_level("WARNING", logger="career_credit.connectors"):
        log_unreachable("Moodle", url, failure_detail(exc))
    assert "https://x.example.edu:8443/a" in caplog.text
    assert "10.0.0.1" in caplog.text
    assert "SECRET" not in caplog.text and "u:p" not in caplog.text


def test_admin_set_lms_address_on_a_private_network_is_refused(app, platform, monkeypatch):
    from lti_tool.admin.services.connections import CredentialsUpdate, set_credentials
    from lti_tool.errors import PolicyViolationError
    from lti_tool.extensions import db
    from lti_tool.registration.services.tenants import find_registration

    fake_dns(
        monkeypatch, {"canvas.school.edu": [PUBLIC], "metadata.school.edu": ["169.254.169.254"]}
    )
    with app.app_context():
        reg = find_registration(platform.issuer, platform.client_id)
        update = CredentialsUpdate(canvas_url="https://canvas.school.edu")
        actor = Actor(reg.tenant_id, "tests")
        set_credentials(actor, reg, update, allow_http=False, allow_private=False)  # control
        with pytest.raises(PolicyViolationError) as refused:
            set_credentials(
                actor,
                reg,
                CredentialsUpdate(moodle_url="https://metadata.school.edu:8443"),
                allow_http=False,
                allow_private=False,
            )
        db.session.rollback()
    assert refused.value.reason == "unreachable_url"
    assert "169.254" not in refused.value.message and "8443" not in refused.value.message


def test_moodle_through_the_guarded_session_never_reaches_a_rebound_address(monkeypatch, server):
    from connectors import moodle
    from connectors.errors import MoodleError

    fake_dns(monkeypatch, {"moodle.school.edu": ["127.0.0.1"]})
    targets = route_connections(monkeypatch, server)
    client = moodle.MoodleClient("http://moodle.school.edu", "ws-token", guarded())
    with pytest.raises(MoodleError) as refused:
        client.competency_frameworks()
    assert refused.value.message == moodle.UNREACHABLE
    assert targets == [] and server.hits == []


def test_registration_follows_only_its_own_switch(app):
    """Dynamic Registration, the stricter case: OUTBOUND_ALLOW_PRIVATE_HOSTS does not open it."""
    with app.app_context():
        cfg = app.config
        saved = cfg.get("OUTBOUND_ALLOW_PRIVATE_HOSTS"), cfg["DYNREG_ALLOW_PRIVATE_HOSTS"]
        app.config.update(OUTBOUND_ALLOW_PRIVATE_HOSTS=True, DYNREG_ALLOW_PRIVATE_HOSTS=False)
        try:
            assert netguard.allow_private_hosts() is True
            assert netguard.allow_private_hosts(netguard.REGISTRATION_SETTINGS) is False
        finally:
            app.config.update(
                OUTBOUND_ALLOW_PRIVATE_HOSTS=saved[0], DYNREG_ALLOW_PRIVATE_HOSTS=saved[1]
            )
