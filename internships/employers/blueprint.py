"""The employers blueprint (``/employers``), one for the area: ``pay`` and ``portal`` add their
routes to it in their own view modules; ``internships.employers.register`` registers it once
they have."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("employers", __name__, url_prefix="/employers")
