"""The review page's decisions through HTTP: "Deny credit" is destructive, so it is styled
apart from "Award" and confirmed on the form; the award's comment is in the award history."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from credit.models import CreditDecision
from credit.services import awards as award_svc
from lti_tool.extensions import db

from .conftest import give_work
from .test_pages import get, post
from .test_services import LINEITEM, award_input


def test_deny_is_a_destructive_button_and_asks_for_confirmation(app, school):
    faculty = school.person("faculty")
    student = school.person("student")
    with app.app_context():
        give_work(student.ctx(), hours=50)
        db.session.commit()
        student_id = student.user_id
    review = f"/credit/students/{student_id}"
    page = get(faculty, review).get_data(as_text=True)
    deny = re.search(r'<button type="submit" class="button danger">(.*?)</button>', page, re.S)
    assert deny and deny.group(1).endswith("Deny credit")
    award = re.search(
        r'<button type="submit" class="button" aria-describedby="award-column">(.*?)</button>',
        page,
        re.S,
    )
    assert award and award.group(1).endswith("Award credit")
    # the destructive form opens itself again when it is refused, its tick still to give
    deny_panel = r'<details class="confirm[^>]*" name="decision"{}>\s*<summary class="button'
    assert re.search(deny_panel.format(""), page)
    assert '<details class="disclosure decision-award" name="decision" open>' in page

    reason = {"message": "The work was not academic in scope."}
    unconfirmed = post(faculty, review, {**reason, "form": "deny"}, review)
    assert unconfirmed.status_code == 422
    text = unconfirmed.get_data(as_text=True)
    assert "Tick the box to confirm that credit is denied." in text
    assert "The work was not academic in scope." in text  # what was typed is kept
    assert re.search(deny_panel.format(" open"), text)  # one decision open: the refused one
    assert '<details class="disclosure decision-award" name="decision">' in text

    def denials() -> int:
        with app.app_context():
            return int(
                db.session.scalar(
                    select(func.count())
                    .select_from(CreditDecision)
                    .where(CreditDecision.student_id == student_id)
                )
                or 0
            )

    assert denials() == 0
    confirmed = post(faculty, review, {**reason, "form": "deny", "confirm": "y"}, review)
    assert confirmed.status_code == 303
    assert denials() == 1


def test_the_award_comment_is_in_the_award_history(app, school):
    faculty = school.person("faculty")
    student = school.person("student")
    with app.app_context():
        give_work(student.ctx(), hours=50)
        db.session.commit()
        award_svc.award_credit(
            faculty.ctx(),
            student.user_id,
            award_input(comment="Excellent interviews; the report was a model."),
            lineitem_url=LINEITEM,
        )
        db.session.commit()
        student_id = student.user_id
    page = get(faculty, f"/credit/students/{student_id}").get_data(as_text=True)
    history = page.split('id="history-heading"')[1]
    assert '<th scope="col">Comment</th>' in history
    assert "Excellent interviews; the report was a model." in history
