"""The board's filter form is kept per query string (issue 16): its HTML depends on the board's
own parameters alone (not the launch, nor where "Back" returns), and shows the values and the
messages of that query."""

from __future__ import annotations

from werkzeug.datastructures import MultiDict

from internships.views import board_filters


def test_the_filter_form_is_a_function_of_the_board_parameters(app_ctx):
    survey = board_filters(MultiDict([("q", "survey"), ("lid", "a" * 30)]))
    again = board_filters(MultiDict([("lid", "b" * 30), ("q", "survey"), ("back", "page=2")]))
    assert survey == again and 'value="survey"' in survey["head"]
    assert "<details>" in survey["head"]  # no filter chosen: closed
    other = board_filters(MultiDict([("q", "podcast")]))
    assert 'value="podcast"' in other["head"] and 'value="survey"' not in other["head"]
    bad = board_filters(MultiDict([("min_hours", "lots"), ("remote_only", "y")]))
    assert "<details open>" in bad["head"]
    assert "Enter a whole number, like 3." in bad["tail"]
    assert 'aria-invalid="true"' in bad["tail"] and "checked" in bad["tail"]
