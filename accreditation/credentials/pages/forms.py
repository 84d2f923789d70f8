"""Forms of the credentials' pages: the student's (evidence, DID, portfolio) inside a launch;
the supervisor's consent on their signed-link page and the public "verify a credential file"
form (CSRF from the session cookie)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from flask_wtf.file import FileField
from wtforms import BooleanField, RadioField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from lti_tool.forms import CheckedForm, LaunchForm, strip_text
from lti_tool.limits import JSONTooDeepError, json_loads

from .portfolio import HEADLINE_MAX, INTRODUCTION_MAX, ProjectChoice

# A credential file is a few kilobytes; a CLR of many achievements some tens.
VERIFY_MAX_BYTES = 256 * 1024
VERIFY_MAX_DEPTH = 40
DID_PATTERN = r"^did:[a-z0-9]+:[A-Za-z0-9._:%-]+(?:[/?#][^\s]*)?$"


class CheckboxesField(SelectMultipleField):
    """Several choices, each a checkbox (the shared ``choice_group`` macro renders them)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class EvidenceForm(LaunchForm):
    """What the student adds to a credential as evidence (nothing unless they choose)."""

    deliverables = CheckboxesField(
        "Deliverables to include as evidence",
        coerce=int,
        description="Each chosen deliverable's title and link go into the credential.",
    )
    include_comment = BooleanField(
        "Include my supervisor's comment from the evaluation",
    )


class DidForm(LaunchForm):
    did = StringField(
        "Your DID (optional)",
        filters=[strip_text],
        validators=[
            Optional(),
            Length(max=2000, message="A DID this long is not one a wallet makes."),
            Regexp(DID_PATTERN, message="Enter a DID, like did:key:z6Mk… or did:web:example.com."),
        ],
        description="A decentralized identifier from your digital wallet. Your credentials are "
        "issued again naming it instead of your hashed email address. Leave empty to go back to "
        "the hashed email address.",
    )


class PortfolioForm(LaunchForm):
    headline = StringField(
        "Headline",
        filters=[strip_text],
        validators=[Length(max=HEADLINE_MAX)],
        description="One line at the top of your portfolio, like “Data analyst in training”.",
    )
    introduction = TextAreaField(
        "Introduction",
        filters=[strip_text],
        validators=[Length(max=INTRODUCTION_MAX)],
        description="A few sentences about you and the projects below.",
    )


def _ids(values: Iterable[str]) -> tuple[int, ...]:
    return tuple(int(v) for v in values if v.isdigit() and len(v) < 12)


def project_choices(formdata: Any, engagement_ids: Iterable[int]) -> list[ProjectChoice]:
    """The portfolio form's project checkboxes (``project-<id>``, ``deliverable-<id>``,
    ``credential-<id>``, ``recommendation-<id>``) for the engagements the page offered."""
    out = []
    for eid in engagement_ids:
        if not formdata.get(f"project-{eid}"):
            continue
        out.append(
            ProjectChoice(
                engagement_id=eid,
                deliverable_ids=_ids(formdata.getlist(f"deliverable-{eid}")),
                show_credential=bool(formdata.get(f"credential-{eid}")),
                show_recommendation=bool(formdata.get(f"recommendation-{eid}")),
            )
        )
    return out


class ConsentForm(CheckedForm):
    """The supervisor's yes or no (their workspace page; no launch)."""

    agreed = RadioField(
        "Share my evaluation comments as a recommendation in the student's portfolio",
        choices=[
            ("yes", "Yes, the student may show them in their portfolio"),
            ("no", "No, keep them out of the portfolio"),
        ],
        validators=[DataRequired(message="Choose yes or no.")],
    )


class VerifyFileForm(CheckedForm):
    """Paste or upload the JSON of a credential someone sent (the public verify page)."""

    document = TextAreaField(
        "Paste the credential's JSON",
        description="The whole file, from the first { to the last }.",
    )
    upload = FileField("Or upload the credential file (.json)")

    def validate_document(self, field: Any) -> None:
        text = field.data or ""
        upload = self.upload.data
        if upload and getattr(upload, "filename", ""):
            raw = upload.read(VERIFY_MAX_BYTES + 1)
            if len(raw) > VERIFY_MAX_BYTES:
                raise ValidationError("The file is larger than any credential (256 KB at most).")
            text = raw.decode("utf-8", errors="replace")
        if not text.strip():
            raise ValidationError("Paste the credential's JSON, or upload its file.")
        if len(text.encode()) > VERIFY_MAX_BYTES:
            raise ValidationError("That is larger than any credential (256 KB at most).")
        self.parsed = parse_document(text)


def parse_document(text: str) -> dict[str, Any]:
    """The JSON object a credential file holds (ValidationError in words when it is not one)."""
    try:
        value = json_loads(text, max_depth=VERIFY_MAX_DEPTH)
    except JSONTooDeepError as exc:
        raise ValidationError("That JSON is nested deeper than any credential.") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValidationError(
            "That is not JSON: paste the credential file's content exactly as you received it."
        ) from exc
    if not isinstance(value, Mapping):
        raise ValidationError("A credential is a JSON object ({ … }); this is not one.")
    return dict(value)
