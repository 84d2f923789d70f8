"""The launch answers with the page it lands on, as a GET of that page would show it.

A launch POST used to answer 303 to its landing page (``home.student``, ``admin.index``…), and
the browser then asked for that page: a whole request more on every launch (its WSGI and
session handling, the launch's lookup, its own transaction), about a sixth of what a launch
cost (issue 16). Now the POST renders the landing page itself, through the page's own view:

- the launch is committed first, so that it is kept whatever the page does;
- the request then stands for the page: its launch (``g.launch``, read as every page reads
  it), its CSRF secret (the launch's, as ``web._csrf_from_launch`` seeds it on a page) and its
  URL rule, so that the navigation marks the page as current and the response gets the page's
  headers (the tenant's frame origins, ``no-store``);
- the page's own address (``g.page_address``, with the launch id) replaces the POST in the
  browser's history (``base.html``): reload and Back load the page with a GET, never a second
  POST of the id_token, which a used state would refuse.

A deep-linking launch still answers 303: its picker is a form that posts to its own address.
"""

from __future__ import annotations

from flask import current_app, g, request, url_for
from flask.typing import ResponseReturnValue

from ..auth import load_launch
from ..errors import SessionExpiredError
from ..unit_of_work import commit_now
from ..web import seed_csrf


def page(endpoint: str, lid: str) -> ResponseReturnValue:
    """The landing page ``endpoint`` (a view without arguments) of launch ``lid``, as this
    request's answer."""
    commit_now()  # keep the launch (and its consumed state) whatever the page does
    ctx = load_launch(lid)
    if ctx is None:  # only if the launch expired between its write and this read
        raise SessionExpiredError(
            "Career Credit could not find the launch it just recorded.", reason="no_launch"
        )
    g.launch = ctx
    seed_csrf("csrf", lid)
    request.url_rule = next(current_app.url_map.iter_rules(endpoint))
    request.view_args = {}
    g.page_address = url_for(endpoint, lid=lid)
    # as Flask's own dispatch calls a view (``Flask.dispatch_request``)
    response: ResponseReturnValue = current_app.ensure_sync(current_app.view_functions[endpoint])()
    return response
