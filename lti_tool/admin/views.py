"""Admin pages (being written)."""

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from ..auth import requires

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/")
@requires("admin", tool_admin=True)
def index() -> ResponseReturnValue:
    return render_template("admin/index.html")
