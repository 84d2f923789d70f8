"""Counts in words (``lti_tool.words.plural``, the ``plural`` template filter): the noun
agrees with its count on the pages that print one."""

from __future__ import annotations

import pytest

from lti_tool.extensions import db
from lti_tool.words import plural
from tests.credit.conftest import give_work


@pytest.mark.parametrize(
    ("count", "words", "text"),
    [
        (0, ("opening",), "0 openings"),
        (1, ("opening",), "1 opening"),
        (2, ("opening",), "2 openings"),
        (1, ("student meets", "students meet"), "1 student meets"),
        (3, ("student meets", "students meet"), "3 students meet"),
        (1234, ("rating",), "1,234 ratings"),
        (1.5, ("hour",), "1.5 hours"),
    ],
)
def test_the_noun_agrees_with_the_count(count, words, text):
    assert plural(count, *words) == text


def test_the_credit_queue_says_one_student_meets_the_policy(app, school):
    faculty, student = school.person("faculty"), school.person("student")
    with app.app_context():
        give_work(student.ctx(), hours=45)
        db.session.commit()
    page = faculty.client.get(f"/credit/queue?lid={faculty.lid}").get_data(as_text=True)
    assert "1 student meets the course" in page
    assert "1 students" not in page and "1 student meet " not in page


def test_money_always_carries_its_currency():
    from lti_tool.words import money

    assert money(123450) == "$1,234.50"
    assert money(1500, "USD", whole=True) == "$15"
    assert money(1550, "EUR", whole=True) == "€15.50"
    assert money(99, "CHF") == "0.99 CHF"  # a currency without a sign is named
    assert money(None) == "$0.00"


def test_listed_joins_items_as_a_sentence_does():
    from lti_tool.words import listed

    assert listed([]) == ""
    assert listed(["your reflection"]) == "your reflection"
    assert listed(["a", "b"]) == "a and b"
    assert listed(["a", "b", "c"]) == "a, b and c"
