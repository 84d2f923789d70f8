"""The admin pages' typed forms post to their page's own address and a refusal is shown there
again with 422: the Data rights page's three forms (choose, confirm, retention), told apart by
the hidden ``form`` field, and the Career advisors page's grant."""

from __future__ import annotations

import re

from tests.helpers import csrf_token
from tests.lti_tool.test_privacy import _admin


def _forms(text: str) -> list[tuple[str, str]]:
    """(action, form name) of each POST form of a page."""
    found = re.findall(
        r'<form method="post" action="([^"]+)"[^>]*>.*?(?:name="form" value="(\w+)"|</form>)',
        text,
        re.S,
    )
    return [(action.split("?")[0], name) for action, name in found]


def test_the_data_rights_forms_post_to_the_page_and_refusals_stay_there(driver, make_platform):
    platform = make_platform()
    client, lid = _admin(driver, platform)
    driver(platform).launch(sub="stu-forms", role="student")
    page = client.get(f"/admin/privacy?lid={lid}")
    assert _forms(page.text) == [("/admin/privacy", "choose"), ("/admin/privacy", "retention")]
    token = csrf_token(page)

    retention = client.post(
        "/admin/privacy",
        data={"lid": lid, "csrf_token": token, "form": "retention", "files_days": "x"},
    )
    assert retention.status_code == 422 and retention.request.path == "/admin/privacy"
    assert "The retention periods were not saved" in retention.text
    assert re.search(r'name="files_days"[^>]*value="x"', retention.text)  # what was typed stays
    assert "history.replaceState" in retention.text  # Back does not resend the form

    confirm = client.post(
        "/admin/privacy",
        data={
            "lid": lid,
            "csrf_token": token,
            "form": "choose",
            "person": "stu-forms",
            "action": "pseudonymise",
        },
    )
    assert confirm.status_code == 200
    assert _forms(confirm.text) == [("/admin/privacy", "confirm")]
    user_id = re.search(r'name="user_id" type="hidden" value="(\d+)"', confirm.text).group(1)
    unconfirmed = client.post(
        "/admin/privacy",
        data={
            "lid": lid,
            "csrf_token": token,
            "form": "confirm",
            "user_id": user_id,
            "action": "pseudonymise",
        },
    )
    assert unconfirmed.status_code == 422 and unconfirmed.request.path == "/admin/privacy"
    assert "Tick this box to confirm, or go back." in unconfirmed.text

    unknown = client.post(
        "/admin/privacy", data={"lid": lid, "csrf_token": token, "form": "something-else"}
    )
    assert unknown.status_code == 400
    assert client.get(f"/admin/privacy?lid={lid}").status_code == 200  # nothing broke


def test_the_advisor_grant_posts_to_the_page(driver, make_platform):
    platform = make_platform()
    client, lid = _admin(driver, platform)
    found = client.get(f"/admin/advisors?lid={lid}&q=ada")
    assert ("/admin/advisors", "") in _forms(found.text)
    assert "history.replaceState" not in found.text  # only a page that answers a POST
    # the grant posts to this very search's address: a refusal shown there reloads as it
    action = re.search(r'<form method="post" action="([^"]+)" novalidate>', found.text).group(1)
    assert action.startswith("/admin/advisors?") and "q=ada" in action and "page=1" in action
    refused = client.post(
        action.replace("&amp;", "&"), data={"lid": lid, "csrf_token": csrf_token(found)}
    )
    assert refused.status_code == 422 and "Choose a person from the search results." in refused.text
    assert "Ada Admin" in refused.text  # the search's results, from the address alone
    assert "history.replaceState" in refused.text
