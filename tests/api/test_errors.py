"""An unexpected fault reaches the client as "Unexpected error." with code INTERNAL and a request id; the log
has the full story under that id, without the exception's message (which could quote personal data)."""

from __future__ import annotations

import logging

from hub.agencies.models import AgencyKind
from hub.auth.scopes import Role
from hub.referrals import repository
from tests.factories import create_agency, create_client, create_referral, token_for

SECRET = "Morgan Ellis, 1 High Street"


async def test_an_unexpected_error_is_masked_and_logged_under_the_request_id(http, session, monkeypatch, caplog):
    police = await create_agency(session, AgencyKind.POLICE)
    referral = await create_referral(session, police)
    token = await token_for(http, await create_client(session, police, {Role.REFERRER}))

    async def broken(*args, **kwargs):
        raise RuntimeError(f"constraint failed for {SECRET}")

    monkeypatch.setattr(repository, "by_reference", broken)
    with caplog.at_level(logging.ERROR):
        response = await http.post(
            "/graphql",
            json={
                "query": "query($r: String!) { referral(reference: $r) { id } }",
                "variables": {"r": referral.reference},
            },
            headers={"Authorization": f"Bearer {token}"},
        )
    (error,) = response.json()["errors"]
    request_id = response.headers["X-Request-Id"]
    assert error["message"] == "Unexpected error."
    assert error["extensions"] == {"code": "INTERNAL", "requestId": request_id}
    assert SECRET not in response.text and "RuntimeError" not in response.text
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert request_id in logged and "RuntimeError" in logged and "referral" in logged
    assert SECRET not in logged
