"""Platform storage (``lti_storage_state``/``lti_storage_nonce``) stands in for the state cookie
only for a login that asked the platform to keep state: otherwise state and nonce, both visible
in the login's redirect, would let anyone finish a login another browser started (login CSRF)."""

from __future__ import annotations

from tests.platform import page_address

from .test_launch import _storage_login, reason


def test_storage_parameters_are_refused_for_a_cookie_login(lti, app):
    # control: a login that recorded a storage target finishes without cookies
    data = _storage_login(lti, "stu-storage-ok")
    body = lti.platform.claims(
        sub="stu-storage-ok",
        role="student",
        nonce=data["nonce"],
        context={"id": "c1", "title": "T"},
    )
    ok = app.test_client().post(
        "/lti/launch",
        data={
            "id_token": lti.platform.sign(body),
            "state": data["state"],
            "lti_storage_state": data["state"],
            "lti_storage_nonce": data["nonce"],
        },
    )
    assert page_address(ok)

    # a login without a storage target (the victim's cookie flow) ...
    params = lti.login("victim")
    body = lti.platform.claims(
        sub="victim", role="student", nonce=params["nonce"], context={"id": "c1", "title": "T"}
    )
    # ... finished by another browser that echoes state and nonce as "storage"
    forged = app.test_client().post(
        "/lti/launch",
        data={
            "id_token": lti.platform.sign(body),
            "state": params["state"],
            "lti_storage_state": params["state"],
            "lti_storage_nonce": params["nonce"],
        },
    )
    assert forged.status_code == 400
    assert reason(forged) == "storage_not_requested"
