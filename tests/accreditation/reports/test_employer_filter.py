"""The student table's employer filter: a list of the tenant's employers while they are few,
part of a name past EMPLOYER_OPTIONS (a list of 10,000 employers was most of the page's cost),
the employer a link chose kept as a choice of its own, and the name matched literally."""

from __future__ import annotations

import html
import re

from accreditation.reports.services.students import EMPLOYER_OPTIONS
from internships.models import Employer
from lti_tool.extensions import db

from .conftest import World
from .test_views import _employer_id, get, rows_of


def _names(world: World, **params) -> set[str]:
    return {r[0] for r in rows_of(get(world.advisor, "/reports/students.csv", **params))[1:]}


def _options(body: str, select_id: str) -> list[tuple[str, str, bool]]:
    """(value, text, selected) of the options of the select ``select_id``."""
    found = re.search(rf'<select id="{select_id}" name="[^"]+">(.*?)</select>', body, re.S)
    assert found, f"no select {select_id}"
    return [
        (value, html.unescape(text), bool(selected))
        for value, selected, text in re.findall(
            r'<option value="([^"]*)"( selected)?>([^<]*)</option>', found.group(1)
        )
    ]


def _many_employers(app, world: World) -> int:
    """Give the tenant more employers than the form lists; returns how many it has."""
    with app.app_context():
        db.session.add_all(
            Employer(tenant_id=world.tenant_id, name=f"Filler Co {i:03d}")
            for i in range(EMPLOYER_OPTIONS)
        )
        db.session.commit()
        return int(
            db.session.scalar(
                db.select(db.func.count())
                .select_from(Employer)
                .where(Employer.tenant_id == world.tenant_id)
            )
        )


def test_a_few_employers_are_listed_and_a_name_filters_too(world: World, app):
    body = get(world.advisor, "/reports/students").get_data(as_text=True)
    listed = _options(body, "employer")
    assert listed[0] == ("", "Any employer", False)
    assert "Beta Labs" in [text for _, text, _ in listed]
    assert 'id="employer_name"' not in body
    assert _names(world, employer_name="beta") == {"Benjamin Tran"}
    assert _names(world, employer_name="BETA%20labs") == {"Benjamin Tran"}  # any case
    assert _names(world, employer_name="%25") == set()  # "%" is a character, not a wildcard
    assert _names(world, employer_name="_eta") == set()
    assert _names(world, employer_name="No%20such%20employer") == set()


def test_past_the_limit_the_form_asks_for_part_of_a_name(world: World, app):
    total = _many_employers(app, world)
    assert total > EMPLOYER_OPTIONS
    page = get(world.advisor, "/reports/students", employer_name="beta")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert 'id="employer"' not in body and "Filler Co" not in body  # no list of employers
    assert '<label for="employer_name">Employer name</label>' in body
    assert 'value="beta"' in body  # the name typed stays in its box
    hint = re.search(r'<p class="hint" id="employer_name-hint">([^<]*)</p>', body)
    assert hint and f"{total:,} employers are too many to list" in hint.group(1)
    assert re.search(r'id="results-count" role="status">1 engagement\b', body)
    # the page's links carry the name: the CSV and the next pages filter the same way
    assert "employer_name=beta" in body.replace("&amp;", "&")

    # the employer page's link names an employer by id: it is the one choice shown
    beta = _employer_id(app, world, "Beta Labs")
    chosen = get(world.advisor, "/reports/students", employer=beta).get_data(as_text=True)
    assert _options(chosen, "employer") == [
        ("", "Any employer", False),
        (str(beta), "Beta Labs", True),
    ]
    assert 'id="employer_name"' in chosen
    assert re.search(r'id="results-count" role="status">1 engagement\b', chosen)
    assert _names(world, employer=beta, employer_name="filler") == set()  # both apply
