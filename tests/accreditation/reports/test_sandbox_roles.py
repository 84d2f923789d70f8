"""Who reaches the reports, through the sandbox LMS's own signed launches: the advisor
(granted by the tenant's custom-claim rule), an instructor, a teaching assistant, a student and
an observer, and a tool administrator (who may set the at-risk thresholds only)."""

from __future__ import annotations

from tests.conftest import sandbox_launch


def test_roles_through_sandbox_launches(app, sandbox):
    def launch(person: str):
        client = app.test_client()
        return client, sandbox_launch(client, sandbox, course="bus-390", person=person).lid

    client, lid = launch("jordan-ellis")
    assert client.get(f"/reports/?lid={lid}").status_code == 200
    assert client.get(f"/reports/students?lid={lid}&risk=any").status_code == 200
    assert client.get(f"/reports/me?lid={lid}").status_code == 403

    for person, role in (
        ("priya-raman", "instructor"),
        ("marcus-lee", "instructor"),
        ("linda-okafor", "observer"),
    ):
        client, lid = launch(person)
        for path in ("/reports/", "/reports/students", "/reports/me", "/reports/settings"):
            resp = client.get(f"{path}?lid={lid}")
            assert resp.status_code == 403, (person, path)
            assert f"not available to your role ({role})" in resp.get_data(as_text=True)

    client, lid = launch("amara-okafor")
    own = client.get(f"/reports/me?lid={lid}")
    assert own.status_code == 200
    assert "Progress report: Amara Okafor" in own.get_data(as_text=True)
    assert client.get(f"/reports/me/report.pdf?lid={lid}").data.startswith(b"%PDF")
    assert client.get(f"/reports/?lid={lid}").status_code == 403


def test_tool_administrators_edit_the_thresholds_only(app, sandbox):
    client = app.test_client()
    lid = sandbox_launch(client, sandbox, course="bus-390", person="sam-whitfield").lid
    page = client.get(f"/reports/settings?lid={lid}")
    assert page.status_code == 200
    assert "At-risk thresholds for Sandbox University" in page.get_data(as_text=True)
    refused = client.get(f"/reports/?lid={lid}")
    assert refused.status_code == 403
    assert "not available to your role (Career Credit administrator)" in refused.get_data(
        as_text=True
    )
