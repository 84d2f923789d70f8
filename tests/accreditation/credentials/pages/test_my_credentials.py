"""My credentials: the student's own credentials as cards, each downloadable as the signed JSON
exactly as issued, shared at a public link, added to LinkedIn, reissued with the evidence the
student chooses (nothing by default) or naming their DID; the CLR of them all. Nobody else's."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from accreditation.credentials.models import Credential
from lti_tool.extensions import db
from tests.helpers import csrf_token, reason

from .conftest import COMMENTS, REPORT_URL, finished, valid_credential


def _page(person, path: str):
    return person.client.get(f"{path}?lid={person.lid}")


def _post(person, path: str, **data):
    token = csrf_token(_page(person, path))
    return person.client.post(path, data={"lid": person.lid, "csrf_token": token, **data})


def test_the_student_sees_their_credential_as_a_card_and_downloads_it_as_issued(app, world):
    _, credential_id = finished(app, world)
    student = world["student"]
    page = _page(student, "/credentials/mine")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    credential = valid_credential(app, _engagement_of(app, credential_id))
    subject = credential.document["credentialSubject"]
    assert subject["achievement"]["name"] in text
    assert credential.document["issuer"]["name"] in text
    assert "Teamwork" in text and "Early Application" in text  # a competency and its level
    assert "Valid" in text

    download = student.client.get(f"/credentials/mine/{credential_id}.json?lid={student.lid}")
    assert download.status_code == 200
    assert download.mimetype == "application/json"
    assert ".json" in download.headers["Content-Disposition"]
    assert json.loads(download.get_data(as_text=True)) == credential.document
    assert "proof" in credential.document  # the signed credential, proof included


def test_evidence_is_never_included_until_the_student_chooses_it(app, world):
    engagement_id, credential_id = finished(app, world)
    first = valid_credential(app, engagement_id)
    assert not first.document.get("evidence")
    assert REPORT_URL not in json.dumps(first.document)
    assert COMMENTS not in json.dumps(first.document)

    student = world["student"]
    path = f"/credentials/mine/{credential_id}"
    page = _page(student, path).get_data(as_text=True)
    deliverable = page.split('name="deliverables" type="checkbox" value="')[1].split('"')[0]
    resp = _post(student, path, form="evidence", deliverables=deliverable, include_comment="y")
    assert resp.status_code == 303, resp.get_data(as_text=True)[:500]
    newer = valid_credential(app, engagement_id)
    assert newer.id != credential_id
    assert REPORT_URL in json.dumps(newer.document)
    assert COMMENTS in json.dumps(newer.document)
    with app.app_context():
        old = db.session.get(Credential, credential_id)
        assert old is not None and old.revoked_at is not None
    shown = _page(student, f"/credentials/mine/{newer.id}").get_data(as_text=True)
    assert REPORT_URL in shown


def test_a_refused_evidence_choice_keeps_the_credential(app, world):
    engagement_id, credential_id = finished(app, world)
    student = world["student"]
    resp = _post(
        student, f"/credentials/mine/{credential_id}", form="evidence", deliverables="999999"
    )
    assert resp.status_code == 422
    assert "is not a valid choice" in resp.get_data(as_text=True)
    assert valid_credential(app, engagement_id).id == credential_id


def test_sharing_gives_a_public_link_and_a_linkedin_address(app, world):
    _, credential_id = finished(app, world)
    student = world["student"]
    path = f"/credentials/mine/{credential_id}"
    assert "Add to LinkedIn profile" not in _page(student, path).get_data(as_text=True)
    resp = _post(student, path, form="share")
    assert resp.status_code == 303
    text = _page(student, path).get_data(as_text=True)
    credential = valid_credential(app, _engagement_of(app, credential_id))
    assert credential.shared
    verify_url = f"/credentials/verify/{credential.public_id}"
    assert verify_url in text
    linkedin = text.split('href="https://www.linkedin.com/profile/add?')[1].split('"')[0]
    params = parse_qs(linkedin.replace("&amp;", "&"))
    assert params["startTask"] == ["CERTIFICATION_NAME"]
    assert params["name"] == [credential.document["credentialSubject"]["achievement"]["name"]]
    assert params["organizationName"] == [credential.document["issuer"]["name"]]
    assert urlsplit(params["certUrl"][0]).path == verify_url
    assert params["certId"] == [f"urn:uuid:{credential.uuid}"]
    assert params["issueYear"][0].isdigit() and params["issueMonth"][0].isdigit()

    assert _post(student, path, form="unshare").status_code == 303
    assert not valid_credential(app, _engagement_of(app, credential_id)).shared


def test_another_student_cannot_see_or_change_the_credential(app, world):
    _, credential_id = finished(app, world)
    other = world["other"]
    assert _page(world["student"], f"/credentials/mine/{credential_id}").status_code == 200
    page = _page(other, f"/credentials/mine/{credential_id}")
    assert page.status_code == 404
    assert (
        other.client.get(f"/credentials/mine/{credential_id}.json?lid={other.lid}").status_code
        == 404
    )
    mine = _page(other, "/credentials/mine")
    assert mine.status_code == 200 and f"/credentials/mine/{credential_id}" not in mine.get_data(
        as_text=True
    )
    token = csrf_token(mine)
    shared = other.client.post(
        f"/credentials/mine/{credential_id}",
        data={"lid": other.lid, "csrf_token": token, "form": "share"},
    )
    assert shared.status_code == 404
    assert not valid_credential(app, _engagement_of(app, credential_id)).shared


def test_faculty_do_not_open_the_students_pages(app, world):
    finished(app, world)
    faculty = world["faculty"]
    resp = _page(faculty, "/credentials/mine")
    assert resp.status_code == 403 and reason(resp) == "role"


def test_a_form_without_its_csrf_token_is_refused(app, world):
    _, credential_id = finished(app, world)
    student = world["student"]
    resp = student.client.post(
        f"/credentials/mine/{credential_id}", data={"lid": student.lid, "form": "share"}
    )
    assert resp.status_code == 400
    assert not valid_credential(app, _engagement_of(app, credential_id)).shared


def test_the_student_names_their_did_and_a_wrong_one_is_refused(app, world):
    engagement_id, credential_id = finished(app, world)
    student = world["student"]
    bad = _post(student, "/credentials/mine", form="did", did="not a did")
    assert bad.status_code == 422
    assert "Enter a DID" in bad.get_data(as_text=True)
    assert valid_credential(app, engagement_id).id == credential_id

    did = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
    good = _post(student, "/credentials/mine", form="did", did=did)
    assert good.status_code == 303, good.get_data(as_text=True)[:500]
    newer = valid_credential(app, engagement_id)
    assert newer.id != credential_id
    assert newer.document["credentialSubject"]["id"] == did
    assert did in _page(student, "/credentials/mine").get_data(as_text=True)


def test_the_clr_bundles_the_achievements_and_downloads(app, world):
    finished(app, world)
    student = world["student"]
    resp = _post(student, "/credentials/mine", form="clr")
    assert resp.status_code == 303, resp.get_data(as_text=True)[:500]
    with app.app_context():
        clr = db.session.scalar(
            select(Credential).where(
                Credential.student_id == student.user_id, Credential.kind == "clr"
            )
        )
        assert clr is not None
        clr_id, document = clr.id, clr.document
    assert "ClrCredential" in document["type"]
    page = _page(student, "/credentials/mine").get_data(as_text=True)
    assert f"/credentials/mine/{clr_id}.json" in page
    download = student.client.get(f"/credentials/mine/{clr_id}.json?lid={student.lid}")
    assert json.loads(download.get_data(as_text=True)) == document


def test_no_credentials_yet_says_what_will_appear(app, world):
    page = _page(world["student"], "/credentials/mine")
    assert page.status_code == 200
    assert "No credentials yet" in page.get_data(as_text=True)
    refused = _post(world["student"], "/credentials/mine", form="clr")
    assert refused.status_code == 303  # refused with its reason, nothing issued
    with app.app_context():
        assert (
            db.session.scalar(
                select(Credential.id).where(Credential.student_id == world["student"].user_id)
            )
            is None
        )


def _engagement_of(app, credential_id: int) -> int:
    with app.app_context():
        credential = db.session.get(Credential, credential_id)
        assert credential is not None and credential.engagement_id is not None
        return credential.engagement_id
