"""Every route declares who may use it, and no role-protected route answers an anonymous
request with anything but a refusal (never a page, never a 500)."""

from __future__ import annotations

import pytest
from werkzeug.routing import IntegerConverter


def _endpoints(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint != "static":
            yield rule, app.view_functions[rule.endpoint]


def test_every_route_declares_its_roles(app):
    undeclared = [r.rule for r, view in _endpoints(app) if not hasattr(view, "required_roles")]
    assert undeclared == [], "use @requires(...) or @public on these views"


def _url(rule) -> str:
    values = {}
    for arg in rule.arguments:
        values[arg] = 1 if isinstance(rule._converters[arg], IntegerConverter) else "x"
    return rule.build(values, append_unknown=False)[1]


def test_protected_routes_refuse_anonymous_requests(app):
    client = app.test_client()
    checked = 0
    for rule, view in _endpoints(app):
        if not view.required_roles:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            resp = client.open(_url(rule), method=method)
            # POSTs meet the CSRF check first (400); everything else needs a launch (401)
            expected = {400, 401} if method == "POST" else {401}
            assert resp.status_code in expected, (method, rule.rule, resp.status_code)
            checked += 1
    assert checked > 40


@pytest.mark.parametrize("path", ["/home/student", "/admin/", "/internships/", "/work/"])
def test_a_launch_id_of_nobody_is_refused(client, path):
    resp = client.get(f"{path}?lid={'x' * 43}")
    assert resp.status_code == 401
    assert 'data-reason="no_launch"' in resp.get_data(as_text=True)


def test_security_headers_on_every_route(app):
    client = app.test_client()
    for rule, _view in _endpoints(app):
        if "GET" not in rule.methods:
            continue
        resp = client.get(_url(rule))
        csp = resp.headers.get("Content-Security-Policy", "")
        assert "frame-ancestors" in csp, rule.rule
        assert "unsafe-inline" not in csp.split("script-src", 1)[1].split(";")[0], rule.rule
        assert resp.headers.get("X-Content-Type-Options") == "nosniff", rule.rule
        assert resp.headers.get("Referrer-Policy") == "same-origin", rule.rule
        assert resp.status_code < 500, (rule.rule, resp.status_code)
