"""The public verification page (no launch): a shared credential verified server-side, the
result in words, its content; unknown and unshared ids the same 404; a revoked one says so.
The public "check a credential file" form: paste or upload, size-limited, CSRF-protected; a
changed file is "changed after issue", a stranger's "not issued by this institution"."""

from __future__ import annotations

import io
import json

from accreditation.credentials.issuance.services import withdraw
from lti_tool.actor import Actor
from lti_tool.extensions import db
from tests.helpers import csrf_token, reason
from tests.internships.work.helpers import public_client

from .conftest import finished, valid_credential


def _share(app, world, credential_id: int) -> None:
    student = world["student"]
    path = f"/credentials/mine/{credential_id}"
    token = csrf_token(student.client.get(f"{path}?lid={student.lid}"))
    resp = student.client.post(
        path, data={"lid": student.lid, "csrf_token": token, "form": "share"}
    )
    assert resp.status_code == 303


def test_a_shared_credential_is_verified_without_a_launch(app, world):
    engagement_id, credential_id = finished(app, world)
    _share(app, world, credential_id)
    credential = valid_credential(app, engagement_id)
    resp = public_client(app).get(f"/credentials/verify/{credential.public_id}")
    text = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert 'data-state="valid"' in text and "Valid" in text
    assert credential.document["credentialSubject"]["achievement"]["name"] in text
    assert credential.document["issuer"]["name"] in text
    assert "Teamwork" in text


def test_an_unshared_credential_is_the_same_404_as_an_unknown_id(app, world):
    engagement_id, credential_id = finished(app, world)
    credential = valid_credential(app, engagement_id)
    browser = public_client(app)
    unknown = browser.get("/credentials/verify/no-such-credential-id-at-all")
    unshared = browser.get(f"/credentials/verify/{credential.public_id}")
    assert unknown.status_code == unshared.status_code == 404
    assert reason(unknown) == reason(unshared) == "not_shared"
    name = credential.document["credentialSubject"]["achievement"]["name"]
    assert name not in unshared.get_data(as_text=True)
    _share(app, world, credential_id)  # positive control: shared, the same address opens
    assert browser.get(f"/credentials/verify/{credential.public_id}").status_code == 200


def test_a_revoked_credential_says_revoked_in_words(app, world):
    engagement_id, credential_id = finished(app, world)
    _share(app, world, credential_id)
    credential = valid_credential(app, engagement_id)
    with app.app_context():
        withdraw(Actor(world["school"].tenant_id, "Ada Advisor"), credential_id)
        db.session.commit()
    resp = public_client(app).get(f"/credentials/verify/{credential.public_id}")
    text = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert 'data-state="revoked"' in text
    assert "Revoked" in text and "revoked it" in text


def _check(browser, **data):
    token = csrf_token(browser.get("/credentials/verify"))
    return browser.post("/credentials/verify", data={"csrf_token": token, **data})


def test_a_pasted_credential_file_is_checked(app, world):
    engagement_id, _ = finished(app, world)
    document = valid_credential(app, engagement_id).document
    browser = public_client(app)
    resp = _check(browser, document=json.dumps(document))
    text = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert 'data-state="valid"' in text
    assert document["credentialSubject"]["achievement"]["name"] in text


def test_a_changed_credential_file_was_changed_after_issue(app, world):
    engagement_id, _ = finished(app, world)
    document = valid_credential(app, engagement_id).document
    document["credentialSubject"]["achievement"]["name"] = "Chief Executive Officer"
    upload = (io.BytesIO(json.dumps(document).encode()), "credential.json")
    browser = public_client(app)
    token = csrf_token(browser.get("/credentials/verify"))
    resp = browser.post(
        "/credentials/verify",
        data={"csrf_token": token, "document": "", "upload": upload},
        content_type="multipart/form-data",
    )
    text = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert 'data-state="invalid"' in text
    assert "changed after issue" in text
    assert "Chief Executive Officer" not in text  # a changed file's claims are not shown


def test_a_credential_of_another_issuer_is_not_ours(app, world):
    engagement_id, _ = finished(app, world)
    document = valid_credential(app, engagement_id).document
    document["issuer"]["id"] = "did:web:another-university.example"
    resp = _check(public_client(app), document=json.dumps(document))
    text = resp.get_data(as_text=True)
    assert 'data-state="unknown_issuer"' in text
    assert "Not issued by this institution" in text


def test_what_is_not_a_credential_is_refused_in_words(app):
    browser = public_client(app)
    for data, words in (
        ({"document": "{not json"}, "That is not JSON"),
        ({"document": "[1, 2, 3]"}, "is not one"),
        ({"document": ""}, "Paste the credential"),
        ({"document": "[" * 100 + "]" * 100}, "nested deeper"),
        ({"document": json.dumps({"a": "x" * (300 * 1024)})}, "256 KB"),
    ):
        resp = _check(browser, **data)
        assert resp.status_code == 422, data
        assert words in resp.get_data(as_text=True)


def test_the_file_check_needs_its_csrf_token(app, world):
    engagement_id, _ = finished(app, world)
    document = valid_credential(app, engagement_id).document
    browser = public_client(app)
    assert _check(browser, document=json.dumps(document)).status_code == 200  # positive control
    resp = browser.post("/credentials/verify", data={"document": json.dumps(document)})
    assert resp.status_code == 400
