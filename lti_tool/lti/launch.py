"""The validating launch: pylti1p3's MessageLaunch with the order and checks a production tool
needs. Every refusal is a ``LaunchError`` whose ``reason`` names exactly what was wrong. The
login before it is ``login.py``; both use the services and state cookie defined here."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import jwt
from flask import current_app, url_for
from pylti1p3.contrib.flask import FlaskMessageLaunch, FlaskRequest
from pylti1p3.cookie import CookieService
from pylti1p3.exception import LtiException
from pylti1p3.message_launch import TJwtHeader, TLaunchData
from sqlalchemy import Connection

from ..context import DEPLOYMENT_ID, MESSAGE_TYPE
from ..errors import LaunchError
from ..http import session as http_session
from ..models import Registration
from ..text import storable
from . import platform_keys
from .storage import DbSessionService, state_store
from .toolconf import DbToolConf, RegistrationRef

SUPPORTED_MESSAGES = ("LtiResourceLinkRequest", "LtiDeepLinkingRequest")
# What a login must remember to start again in a new window.
RESTART_PARAMS = (
    "client_id",
    "login_hint",
    "lti_message_hint",
    "lti_deployment_id",
    "target_link_uri",
)
STATE_COOKIE_PREFIX = "lti1p3"


class FrameCookieService(CookieService):
    """The OIDC state cookie, sent back on the platform's cross-site form POST: it must be
    ``SameSite=None; Secure`` whatever the scheme the app sees (pylti1p3's own helper only does
    that when the request looks secure)."""

    _cookie_prefix = STATE_COOKIE_PREFIX

    def __init__(self, request: FlaskRequest) -> None:
        self._request = request
        self._to_set: dict[str, tuple[str, int]] = {}

    def _key(self, name: str) -> str:
        return f"{self._cookie_prefix}-{name}"

    def get_cookie(self, name: str) -> str | None:
        value = self._request.get_cookie(self._key(name))
        return value if isinstance(value, str) else None

    def set_cookie(self, name: str, value: str | int, exp: int | None = 3600) -> None:
        self._to_set[self._key(name)] = (str(value), int(exp or 3600))

    def update_response(self, response: Any) -> None:
        for key, (value, exp) in self._to_set.items():
            response.set_cookie(
                key, value, max_age=exp, secure=True, httponly=True, samesite="None", path="/"
            )


def services(
    connection: Connection | None = None,
) -> tuple[FlaskRequest, DbToolConf, DbSessionService, FrameCookieService]:
    request = FlaskRequest()
    cfg = current_app.config
    store = state_store(cfg["LTI_STATE_REDIS_URL"], connection)
    return (
        request,
        DbToolConf(connection),
        DbSessionService(request, cfg["LTI_STATE_LIFETIME_S"], store),
        FrameCookieService(request),
    )


def origin(url: str) -> str:
    """The scheme and host of ``url``: the origin a page posts messages to."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def restart_url(login: dict[str, Any]) -> str:
    """The tool's login URL that starts a login again (in a new window) with what the
    platform's login sent."""
    restart = {k: login.get(k) for k in RESTART_PARAMS if login.get(k)}
    restart["iss"] = login["iss"]
    return str(url_for("lti.oidc_login", **restart))


class StorageCheckNeeded(LaunchError):
    """No state cookie, but the platform offers storage: check state and nonce there."""

    status = 200

    def __init__(self, target: str, origin: str) -> None:
        super().__init__("Checking the launch with the LMS.", reason="storage_check")
        self.target, self.origin = target, origin


class CookiesBlockedError(LaunchError):
    """No state cookie and no platform storage: offer a launch in a new window."""

    title = "Your browser blocked Career Credit inside the LMS page"

    def __init__(self, restart_url: str) -> None:
        super().__init__(
            "The browser does not let Career Credit keep its sign-in inside the course page "
            "(third-party cookies are blocked), and the LMS offers no other way.",
            reason="cookies_blocked",
            hint="Open Career Credit in a new window; everything works there.",
        )
        self.restart_url = restart_url


class ToolMessageLaunch(FlaskMessageLaunch):
    """Validation in an order that never lets a forged token consume a real login."""

    def __init__(self) -> None:
        request, conf, sessions, cookies = services()
        # the process's HTTP session, not a new one per launch (pylti1p3 uses it for nothing)
        web = http_session()
        super().__init__(request, conf, sessions, cookies, requests_session=web)
        self.sessions = sessions
        self.conf = conf
        self.login_state: dict[str, Any] = {}

    @property
    def registration(self) -> Registration | RegistrationRef:
        if self.conf.registration is None:
            raise LaunchError("The launch has not been validated.", reason="invalid_launch")
        return self.conf.registration

    @property
    def body(self) -> dict[str, Any]:
        return dict(self._jwt["body"])

    def restart_url(self) -> str:
        """Start this launch's login again, e.g. in a new window."""
        return restart_url(self.login_state)

    def validate(self) -> ToolMessageLaunch:
        self._validated = True
        try:
            self._validate()
        except LtiException as exc:
            self._validated = False
            text = str(exc)
            reason = "unsupported_message" if "message type" in text.lower() else "invalid_message"
            raise LaunchError(f"The launch message was refused: {text}.", reason=reason) from exc
        except Exception:
            self._validated = False
            raise
        return self

    def _validate(self) -> None:
        id_token = self._get_request_param("id_token")
        state = self._get_request_param("state")
        if not id_token:
            raise LaunchError("The launch carries no id_token.", reason="missing_id_token")
        header, body = self._check_token_format(id_token)
        login = self._check_login(state)
        iss, client_id = self._check_addressed(body, login)
        deployment = body.get(DEPLOYMENT_ID)
        self.conf.deployment_hint = deployment if isinstance(deployment, str) else ""
        self._registration = self.conf.find_registration_by_params(iss, client_id)
        self._check_signature(id_token, header["kid"], client_id, iss)
        self._check_nonce_and_consume(body, login, state)
        self._check_message(body)

    def _check_token_format(self, id_token: str) -> tuple[TJwtHeader, TLaunchData]:
        """A well-formed JWT of storable text, signed with RS256 and naming its key."""
        try:
            self.validate_jwt_format()
        except LtiException as exc:
            raise LaunchError(
                "The id_token is not a well-formed JWT.", reason="malformed_token"
            ) from exc
        header, body = self._jwt.get("header", {}), self._jwt.get("body", {})
        if not isinstance(header, dict) or not isinstance(body, dict):
            raise LaunchError("The id_token is not a well-formed JWT.", reason="malformed_token")
        if not storable(header) or not storable(body):
            # Before any lookup: the issuer, client id and deployment id go into queries, and
            # no driver encodes a lone surrogate (SQLite and PostgreSQL both raise).
            raise LaunchError(
                "The launch message carries text that cannot be stored (a NUL character or a "
                "lone UTF-16 surrogate).",
                reason="invalid_characters",
            )
        alg = header.get("alg")
        if not alg or str(alg).lower() == "none" or not id_token.rsplit(".", 1)[-1]:
            raise LaunchError("The id_token is not signed.", reason="unsigned")
        if alg != "RS256" or not header.get("kid"):
            raise LaunchError(
                f"The id_token must be signed with RS256 and name its key (kid); it uses {alg!r}.",
                reason="bad_signature",
            )
        return header, body

    def _check_login(self, state: str) -> dict[str, Any]:
        """The login this launch answers: started here, unused, from this browser."""
        login = self.sessions.peek_state(state) if state else None
        if login is None:
            raise LaunchError(
                "This launch does not belong to a login started here, or the login expired.",
                reason="state_mismatch",
                hint="Launch the tool again from the LMS. If it keeps happening, the browser may "
                "be blocking the tool's cookies in the LMS frame.",
            )
        if login.get("consumed"):
            raise LaunchError(
                "This launch was already used once; launches are single-use.", reason="replayed"
            )
        self._check_browser(state, login)
        self.login_state = dict(login)
        return login

    def _check_addressed(self, body: TLaunchData, login: dict[str, Any]) -> tuple[str, str]:
        """The issuer that started the login, and this tool's client id among the audiences."""
        iss = str(body.get("iss"))
        if iss != login["iss"]:
            raise LaunchError(
                f"The id_token's issuer {iss!r} is not the platform that started "
                f"the login ({login['iss']}).",
                reason="wrong_issuer",
            )
        aud = body.get("aud")
        auds = [aud] if isinstance(aud, str) else list(aud or [])
        client_id = str(login.get("client_id") or (auds[0] if len(auds) == 1 else ""))
        if client_id not in auds or (len(auds) > 1 and body.get("azp") != client_id):
            raise LaunchError(
                f"The id_token is addressed to {auds!r}, not to this tool's client "
                f"id {client_id!r}.",
                reason="wrong_audience",
            )
        return iss, client_id

    def _check_nonce_and_consume(
        self, body: TLaunchData, login: dict[str, Any], state: str
    ) -> None:
        """The nonce issued for this login; the login's state used up (single-use launches)."""
        nonce = body.get("nonce")
        if not nonce:
            raise LaunchError("The id_token carries no nonce.", reason="missing_nonce")
        if nonce != login.get("nonce"):
            raise LaunchError(
                "The id_token's nonce is not the one issued for this login: the "
                "token was replayed.",
                reason="replayed_nonce",
            )
        if not self.sessions.consume_state(state):
            raise LaunchError(
                "This launch was already used once; launches are single-use.", reason="replayed"
            )

    def _check_message(self, body: TLaunchData) -> None:
        """A deployment id (known or allowed), a message type the tool handles, and claims of
        the types LTI 1.3 defines."""
        if not body.get(DEPLOYMENT_ID):
            raise LaunchError("The launch carries no deployment id.", reason="missing_deployment")
        if not isinstance(body.get(DEPLOYMENT_ID), str):
            raise LaunchError(
                "The launch's deployment id is not a string.", reason="malformed_claims"
            )
        self.validate_deployment()
        message_type = body.get(MESSAGE_TYPE)
        if message_type not in SUPPORTED_MESSAGES:
            raise LaunchError(
                f"Career Credit does not handle {message_type!r} messages.",
                reason="unsupported_message",
                hint="Place the tool as a resource link or through deep linking.",
            )
        try:
            self.validate_message()
        except (AttributeError, TypeError, KeyError, ValueError) as exc:
            # pylti1p3's validators assume each claim's type (resource_link.get("id"), ...)
            raise LaunchError(
                "The launch message's claims do not have the types LTI 1.3 defines.",
                reason="malformed_claims",
            ) from exc

    def _check_browser(self, state: str, login: dict[str, Any]) -> None:
        """The browser finishing the launch must be the one that started the login: the state
        cookie, or — where the browser blocks it — state and nonce from the platform's storage
        (the LTI client-side postMessage flow). The single-use state row stays the replay
        guard either way."""
        cookie = self._cookie_service.get_cookie(state)
        if cookie == state:
            return
        if cookie is None:
            stored_state = self._get_request_param("lti_storage_state")
            # Platform storage answers only for a login that asked the platform to keep state
            # there: otherwise state and nonce (both in the login's redirect) would stand in
            # for the browser binding, and anyone could finish a login started elsewhere.
            if stored_state is not None and not login.get("storage_target"):
                raise LaunchError(
                    "The launch answered with the LMS's storage, but its login did not use it.",
                    reason="storage_not_requested",
                    hint="Launch the tool again from the LMS.",
                )
            if stored_state is not None:
                if stored_state == state and self._get_request_param(
                    "lti_storage_nonce"
                ) == login.get("nonce"):
                    return
            elif login.get("storage_target"):
                reg = self.conf.find_registration_by_params(
                    login["iss"], login.get("client_id") or ""
                )
                raise StorageCheckNeeded(login["storage_target"], origin(reg.get_auth_login_url()))
            else:
                raise CookiesBlockedError(restart_url(login))
        raise LaunchError(
            "The browser that finished the launch is not the one that started it.",
            reason="state_mismatch",
            hint="Launch the tool again from the LMS.",
        )

    def _check_signature(self, id_token: str, kid: str, client_id: str, iss: str) -> None:
        cfg = current_app.config
        alg, key = platform_keys.public_key(
            self.registration.key_set_url,
            kid,
            cfg["LTI_PLATFORM_JWKS_LIFETIME_S"],
            cfg["LTI_PLATFORM_JWKS_REFETCH_MIN_S"],
        )
        try:
            jwt.decode(
                id_token,
                key,
                algorithms=[alg],
                audience=client_id,
                issuer=iss,
                leeway=60,
                options={"require": ["exp", "iat", "aud", "iss"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise LaunchError(
                "The id_token has expired.",
                reason="expired",
                hint="Check that the LMS server's clock is right, then launch again.",
            ) from exc
        except jwt.InvalidAudienceError as exc:
            raise LaunchError(
                "The id_token is not addressed to this tool.", reason="wrong_audience"
            ) from exc
        except (jwt.ImmatureSignatureError, jwt.InvalidIssuedAtError) as exc:
            raise LaunchError(
                "The id_token is not valid yet; the clocks disagree.", reason="not_yet_valid"
            ) from exc
        except jwt.MissingRequiredClaimError as exc:
            raise LaunchError(
                f"The id_token lacks a required claim: {exc}.", reason="malformed_token"
            ) from exc
        except jwt.InvalidTokenError as exc:
            raise LaunchError(
                "The id_token's signature does not verify with the platform's published keys.",
                reason="bad_signature",
            ) from exc
