"""The sandbox LMS receiving a Deep Linking response: the tool's signed JWT verified, and the
resource links it chose placed in the course (with a gradebook column when it asks for one)."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from typing import Any

import jwt
from sqlalchemy import select

from ..extensions import db
from .authorization import bound_line_item
from .errors import SandboxError
from .models import (
    SandboxCourse,
    SandboxLaunchHint,
    SandboxLineItem,
    SandboxPerson,
    SandboxResourceLink,
)
from .platform import CLAIM, DL_CLAIM
from .seed import SandboxInfo
from .tokens import KeySetError, consume_once, verify_tool_jwt


@dataclass
class Placement:
    course: SandboxCourse
    person: SandboxPerson
    links: list[SandboxResourceLink] = field(default_factory=list)
    line_items: dict[int, SandboxLineItem] = field(default_factory=dict)


def _dl_refuse(reason: str) -> SandboxError:
    return SandboxError(f"The deep-linking response was refused: {reason}.", parameter="JWT")


def _number(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise _dl_refuse(f"lineItem.{name} must be a number greater than 0")
    return float(value)


def accept_deep_link_response(info: SandboxInfo, token: str | None, *, timeout: float) -> Placement:
    """Verify a tool's LtiDeepLinkingResponse and place its content items in the course."""
    claims = _verified_claims(info, token, timeout)
    _check_message(info, claims)
    hint = _request_answered(claims)
    expires = dt.datetime.fromtimestamp(int(claims["exp"]) + 60, dt.UTC).replace(tzinfo=None)
    if not consume_once("dl_nonce", str(claims["nonce"]), expires):
        raise _dl_refuse("the nonce was already used (replayed response)")
    return _place(hint, _content_items(claims))


def _verified_claims(info: SandboxInfo, token: str | None, timeout: float) -> dict[str, Any]:
    """The response's claims, its signature checked against the tool's key set."""
    if not token:
        raise _dl_refuse("the JWT form field is missing")
    try:
        return verify_tool_jwt(
            info,
            token,
            audience=info.issuer,
            timeout=timeout,
            require=("exp", "iat", "iss", "aud", "nonce"),
        )
    except jwt.InvalidAudienceError as exc:
        raise _dl_refuse(f"aud must be the sandbox issuer {info.issuer} ({exc})") from exc
    except jwt.InvalidIssuerError as exc:
        raise _dl_refuse(f"iss must be the client id {info.client_id}") from exc
    except (jwt.InvalidTokenError, KeySetError) as exc:
        raise _dl_refuse(f"invalid JWT ({exc})") from exc


def _check_message(info: SandboxInfo, claims: dict[str, Any]) -> None:
    """The LTI message claims a deep-linking response must carry."""
    if claims.get("azp") not in (None, info.client_id):
        raise _dl_refuse("azp must be the client id")
    if claims.get(f"{CLAIM}message_type") != "LtiDeepLinkingResponse":
        raise _dl_refuse("message_type must be LtiDeepLinkingResponse")
    if claims.get(f"{CLAIM}version") != "1.3.0":
        raise _dl_refuse("version must be 1.3.0")
    if claims.get(f"{CLAIM}deployment_id") != info.deployment_id:
        raise _dl_refuse(f"deployment_id must be {info.deployment_id}")


def _request_answered(claims: dict[str, Any]) -> SandboxLaunchHint:
    """The deep-linking request the response answers (by its ``data``), with its course."""
    data = claims.get(f"{DL_CLAIM}data")
    hint = (
        db.session.scalar(select(SandboxLaunchHint).where(SandboxLaunchHint.deep_link_data == data))
        if isinstance(data, str) and data
        else None
    )
    if hint is None or hint.course is None:
        raise _dl_refuse("data does not match any deep-linking request the sandbox sent")
    return hint


def _content_items(claims: dict[str, Any]) -> list[dict[str, Any]]:
    items = claims.get(f"{DL_CLAIM}content_items", [])
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise _dl_refuse("content_items must be a list of objects")
    for item in items:
        if item.get("type") != "ltiResourceLink":
            raise _dl_refuse(f"content item type {item.get('type')!r} is not accepted")
    return items


def _place(hint: SandboxLaunchHint, items: list[dict[str, Any]]) -> Placement:
    course = hint.course
    if course is None:
        raise _dl_refuse("the deep-linking request had no course")
    placement = Placement(course=course, person=hint.person)
    for content in items:
        custom = content.get("custom")
        link = SandboxResourceLink(
            resource_link_id=secrets.token_hex(16),
            course=course,
            kind="placed",
            title=str(content.get("title") or "Career Credit"),
            url=str(content["url"]) if content.get("url") else None,
            custom={str(k): str(v) for k, v in custom.items()} if isinstance(custom, dict) else {},
        )
        db.session.add(link)
        placement.links.append(link)
        spec = content.get("lineItem")
        if isinstance(spec, dict):
            db.session.add(
                SandboxLineItem(
                    course=course,
                    label=str(spec.get("label") or link.title),
                    score_maximum=_number(spec.get("scoreMaximum"), "scoreMaximum"),
                    resource_id=_text(spec.get("resourceId")),
                    tag=_text(spec.get("tag")),
                    resource_link=link,
                )
            )
    db.session.flush()
    for link in placement.links:
        line_item = bound_line_item(link)
        if line_item is not None:
            placement.line_items[link.id] = line_item
    return placement


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
