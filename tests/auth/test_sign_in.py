"""Failed sign-ins are slowed down, then lock the address for a while; nothing tells whether an account exists."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from hub.agencies.models import AgencyKind
from hub.auth.models import SignInThrottle
from hub.auth.signin import SIGN_IN_FAILED, TOO_MANY_FAILURES, email_key, failure_delay, sign_in
from hub.config import Settings
from tests.auth.portal import authorize_parameters, new_verifier
from tests.auth.portal import sign_in as send_form
from tests.conftest import PUBLIC_URL
from tests.factories import PASSWORD, create_agency, create_portal, create_user

EMAIL = "sam@police.example.org"


@pytest.fixture
async def portal(session):
    police = await create_agency(session, AgencyKind.POLICE)
    await create_user(session, police, email=EMAIL)
    return await create_portal(session, police)


async def _attempt(http, portal, email: str, password: str):
    page = await http.get("/oauth/authorize", params=authorize_parameters(portal, new_verifier()))
    return await send_form(http, page, email, password)


def _message(answer) -> str:
    assert answer.status_code == 200 and "location" not in answer.headers
    for message in (SIGN_IN_FAILED, TOO_MANY_FAILURES):
        if message in answer.text:
            return message
    raise AssertionError(answer.text)


@pytest.mark.parametrize("email", [EMAIL, "nobody@police.example.org"], ids=["known account", "unknown account"])
async def test_five_failures_lock_the_address_with_the_same_words_for_any_account(http, portal, email):
    answers = [_message(await _attempt(http, portal, email, "wrong password")) for _ in range(6)]
    assert answers == [SIGN_IN_FAILED] * 4 + [TOO_MANY_FAILURES] * 2
    # Locked: even the right password is refused (and for an unknown account the page reads the same).
    assert _message(await _attempt(http, portal, email, PASSWORD)) == TOO_MANY_FAILURES


async def test_the_lock_ends(http, session, portal):
    for _ in range(5):
        await _attempt(http, portal, EMAIL, "wrong password")
    await session.execute(sa.update(SignInThrottle).values(locked_until=sa.func.now() - sa.text("interval '1 second'")))
    assert (await _attempt(http, portal, EMAIL, PASSWORD)).status_code == 302


async def test_a_success_clears_the_count(http, session, portal):
    for _ in range(4):
        await _attempt(http, portal, EMAIL, "wrong password")
    assert (await _attempt(http, portal, EMAIL, PASSWORD)).status_code == 302
    assert (await session.execute(sa.select(SignInThrottle))).first() is None
    assert _message(await _attempt(http, portal, EMAIL, "wrong password")) == SIGN_IN_FAILED


async def test_failures_long_ago_do_not_count(http, session, portal):
    for _ in range(4):
        await _attempt(http, portal, EMAIL, "wrong password")
    await session.execute(
        sa.update(SignInThrottle).values(last_failed_at=sa.func.now() - sa.text("interval '16 minutes'"))
    )
    assert _message(await _attempt(http, portal, EMAIL, "wrong password")) == SIGN_IN_FAILED
    assert (await session.execute(sa.select(SignInThrottle.failed_count))).scalar_one() == 1


async def test_the_address_is_kept_only_as_a_hash_whatever_its_case(http, session, portal):
    await _attempt(http, portal, "Sam@Police.example.org ", "wrong password")
    row = (await session.execute(sa.select(SignInThrottle))).scalars().one()
    assert row.email_key == email_key(EMAIL) and "sam" not in row.email_key


def test_each_failure_waits_longer_up_to_two_seconds():
    settings = Settings(public_url=PUBLIC_URL, database_url=None)  # the default: 250 ms
    assert [failure_delay(n, settings) for n in range(1, 7)] == [0.25, 0.5, 1.0, 2.0, 2.0, 2.0]


async def test_the_service_answers_with_the_delay_to_wait(session, portal):
    settings = Settings(public_url=PUBLIC_URL, database_url=None, signin_failure_delay_ms=100)
    delays = [(await sign_in(session, settings, EMAIL, "wrong")).delay for _ in range(5)]
    assert delays == [0.1, 0.2, 0.4, 0.8, 1.6]  # the fifth locks: answered after the longest wait
    unknown = await sign_in(session, settings, "nobody@example.org", "wrong")
    assert (unknown.person, unknown.message, unknown.delay) == (None, SIGN_IN_FAILED, 0.1)


async def test_a_disabled_account_reads_like_a_wrong_password(http, session, portal):
    from hub.auth.models import User

    await session.execute(sa.update(User).values(disabled_at=sa.func.now()))
    assert _message(await _attempt(http, portal, EMAIL, PASSWORD)) == SIGN_IN_FAILED
