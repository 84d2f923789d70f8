"""The credentials blueprint (``/credentials``), one for the area: the public routes of
``proof`` (DID documents, status lists) and the pages of ``pages`` add their routes to it in
their own view modules; ``accreditation.credentials.register`` registers it once they have."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("credentials", __name__, url_prefix="/credentials")
