"""``lurl_each``: a table's row links, built once, are the links ``lurl`` builds."""

from __future__ import annotations

from types import SimpleNamespace

from flask import g

from lti_tool.web import launch_url, launch_url_each


def test_each_rows_link_is_the_one_launch_url_builds(app):
    with app.test_request_context("/credit/course"):
        g.launch = SimpleNamespace(launch_id="L" * 32)
        review = launch_url_each("credit.review", "student_id")
        for student_id in (1, 42, 10**9):
            assert review(student_id) == launch_url("credit.review", student_id=student_id)
        assert review(7).endswith("lid=" + "L" * 32)
