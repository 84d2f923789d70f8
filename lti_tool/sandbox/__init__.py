"""The sandbox LMS (development and demos only): plays the platform so anyone can try the
tool without Canvas. Registered by ``create_app`` when ``SANDBOX_ENABLED``."""

from flask import Blueprint

bp = Blueprint("sandbox", __name__, url_prefix="/sandbox", cli_group="sandbox")

from . import api, cli, views  # noqa: E402, F401 - register the routes and commands
