"""An independent LTI platform for tests, built on lti1p3platform: real RSA keys, id_tokens
signed RS256 with a kid, and a key set served over real HTTP from its own little server."""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from lti1p3platform.registration import Registration as PlatformRegistration

MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership"
INSTITUTION = "http://purl.imsglobal.org/vocab/lis/v2/institution/person"
CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"

ROLE_CLAIMS = {
    "student": [f"{MEMBERSHIP}#Learner", f"{INSTITUTION}#Student"],
    "faculty": [f"{MEMBERSHIP}#Instructor", f"{INSTITUTION}#Faculty"],
    "ta": [f"{MEMBERSHIP}/Instructor#TeachingAssistant", f"{MEMBERSHIP}#Instructor"],
    "observer": [f"{MEMBERSHIP}#Mentor"],
    "admin": [f"{INSTITUTION}#Administrator"],
    "canvas_admin_student": [f"{MEMBERSHIP}#Learner", f"{INSTITUTION}#Administrator"],
}


def new_key_pair() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


class KeySetServer:
    """Serves key sets at /<name>/jwks over HTTP; counts fetches."""

    def __init__(self) -> None:
        self.sets: dict[str, list[dict[str, Any]]] = {}
        self.fetches: dict[str, int] = {}
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                name = urlsplit(self.path).path.strip("/").split("/")[0]
                keys = outer.sets.get(name)
                outer.fetches[name] = outer.fetches.get(name, 0) + 1
                body = json.dumps({"keys": keys or []}).encode()
                self.send_response(200 if keys is not None else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, name: str) -> str:
        return f"http://localhost:{self.port}/{name}/jwks"

    def close(self) -> None:
        self.server.shutdown()


@dataclass
class LmsPlatform:
    """One platform registration: issuer, client id, deployment, signing keys."""

    issuer: str
    client_id: str
    deployment_id: str
    keyset: KeySetServer
    name: str = field(default_factory=lambda: "p" + secrets.token_hex(4))
    registration: PlatformRegistration = field(default_factory=PlatformRegistration)
    # (PEM, loaded key, kid) of the current private key: lti1p3platform would parse and check
    # the PEM (~40 ms of RSA key validation) on every message it signs.
    _signer: tuple[str, Any, str] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.rotate_key()

    @property
    def key_set_url(self) -> str:
        return self.keyset.url(self.name)

    def rotate_key(self, keep_old: bool = True) -> None:
        private, public = new_key_pair()
        old = self.keyset.sets.get(self.name, []) if keep_old else []
        self.registration.set_iss(self.issuer).set_client_id(self.client_id)
        self.registration.set_platform_private_key(private).set_platform_public_key(public)
        self.keyset.sets[self.name] = [*old, *self.registration.get_jwks()]

    def claims(
        self,
        *,
        sub: str,
        role: str,
        nonce: str,
        context: dict | None = None,
        message_type: str = "LtiResourceLinkRequest",
        custom: dict | None = None,
        extra: dict | None = None,
        name: str | None = None,
    ) -> dict[str, Any]:
        now = int(time.time())
        body: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.client_id,
            "sub": sub,
            "nonce": nonce,
            "iat": now,
            "exp": now + 300,
            "name": name or f"Person {sub}",
            "email": f"{sub}@example.edu",
            CLAIM + "deployment_id": self.deployment_id,
            CLAIM + "message_type": message_type,
            CLAIM + "version": "1.3.0",
            CLAIM + "roles": ROLE_CLAIMS.get(role, [role]),
            CLAIM + "target_link_uri": "http://127.0.0.1/lti/launch",
            CLAIM + "custom": custom or {},
        }
        # every resource link launch names its link; account navigation has no context
        body[CLAIM + "resource_link"] = {
            "id": "rl-" + (context or {}).get("id", "account"),
            "title": "Board",
        }
        if context is not None:
            body[CLAIM + "context"] = context
        if message_type == "LtiDeepLinkingRequest":
            body.pop(CLAIM + "resource_link", None)
            body["https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"] = {
                "deep_link_return_url": f"{self.issuer}/deep_link_return",
                "accept_types": ["ltiResourceLink"],
                "accept_presentation_document_targets": ["iframe", "window"],
                "accept_multiple": True,
                "data": "dl-" + uuid.uuid4().hex,
            }
        body.update(extra or {})
        return body

    def sign(self, body: dict[str, Any], headers: dict | None = None) -> str:
        """The platform's id_token: lti1p3platform signs it (RS256, with the key's kid)."""
        pem = self.registration.get_platform_private_key() or ""
        if self._signer is None or self._signer[0] != pem:
            loaded = serialization.load_pem_private_key(pem.encode(), password=None)
            self._signer = (pem, loaded, self.registration.get_kid() or "")
        _, key, kid = self._signer
        return PlatformRegistration.encode_and_sign(
            dict(body), key, headers={"kid": kid, **(headers or {})}
        )


def login_redirect_params(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


PAGE_ADDRESS = re.compile(r'history\.replaceState\(history\.state, "", "([^"]+)"\)')


def page_address(resp: Any) -> str | None:
    """The address a launch POST's page puts in the browser's history in place of the POST
    (``lti_tool/lti/landing.py``), or None when the answer is no such page."""
    if resp.status_code != 200 or resp.mimetype != "text/html":
        return None
    found = PAGE_ADDRESS.search(resp.get_data(as_text=True))
    return found.group(1).replace("\\u0026", "&") if found else None


def landed(client: Any, resp: Any, follow: bool = True) -> tuple[str, Any]:
    """The launch id and the page of a launch POST's answer: the page it answered with (its
    address names the launch), or for a deep-linking launch, the picker its 303 names (fetched
    when ``follow``; else None). Fails the test on any other answer."""
    if resp.status_code == 303:
        location = resp.headers["Location"]
        found = re.search(r"lid=([\w-]+)", location)
        assert found, location
        page = client.get(location, follow_redirects=True) if follow else None
        return found.group(1), page
    return launch_id(resp), resp


def launch_id(resp: Any) -> str:
    """The launch id of a launch POST that landed on its page (fails the test otherwise)."""
    address = page_address(resp)
    assert address, (resp.status_code, resp.get_data(as_text=True)[:800])
    return parse_qs(urlsplit(address).query)["lid"][0]
