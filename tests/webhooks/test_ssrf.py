"""No server-side request forgery: every kind of non-public address is refused when subscribing and again when
sending, whatever its spelling, unless HUB_WEBHOOK_ALLOW_PRIVATE_NETWORKS lifts it; production wants https."""

from __future__ import annotations

import ipaddress

import pytest
import sqlalchemy as sa

from hub.webhooks import ssrf
from hub.webhooks.ssrf import RefusedUrl, UrlPolicy, check_url
from tests.factories import graphql
from tests.webhooks.conftest import CREATE, drain, submit, subscribe

STRICT = UrlPolicy(allow_private=False, require_https=False)
PRODUCTION = UrlPolicy(allow_private=False, require_https=True)
PUBLIC = ipaddress.ip_address("93.184.216.34")

REFUSED = {
    "IPv4 private 10/8": "http://10.0.0.1/hook",
    "IPv4 private 172.16/12": "http://172.16.5.4/hook",
    "IPv4 private 192.168/16": "https://192.168.1.10/hook",
    "IPv4 loopback": "http://127.0.0.1:8080/hook",
    "IPv4 link-local (cloud metadata)": "http://169.254.169.254/latest/meta-data",
    "IPv4 CGNAT 100.64/10": "http://100.64.0.7/hook",
    "IPv4 multicast": "http://224.0.0.251/hook",
    "IPv4 reserved 240/4": "http://240.0.0.1/hook",
    "IPv4 broadcast": "http://255.255.255.255/hook",
    "IPv4 unspecified": "http://0.0.0.0/hook",
    "IPv4 documentation": "http://192.0.2.10/hook",
    "IPv6 loopback": "http://[::1]/hook",
    "IPv6 unique local": "http://[fd12:3456::1]/hook",
    "IPv6 link-local": "http://[fe80::1]/hook",
    "IPv6 multicast": "http://[ff02::1]/hook",
    "IPv6 unspecified": "http://[::]/hook",
    "IPv4-mapped IPv6 loopback": "http://[::ffff:127.0.0.1]/hook",
    "IPv4-mapped IPv6 private, hex": "http://[::ffff:a00:1]/hook",
    "6to4 of a private IPv4": "http://[2002:a00:1::1]/hook",
    "NAT64 of loopback": "http://[64:ff9b::7f00:1]/hook",
    "decimal IPv4": "http://2130706433/hook",
    "hex and short IPv4": "http://0x7f.1/hook",
    "octal IPv4": "http://017700000001/hook",
    "short dotted IPv4": "http://127.1/hook",
    "a name for loopback": "http://localhost/hook",
}


@pytest.mark.parametrize("url", REFUSED.values(), ids=REFUSED.keys())
async def test_a_non_public_address_is_refused_at_subscription(url):
    with pytest.raises(RefusedUrl, match="Webhooks only go to public addresses"):
        await check_url(url, STRICT)


async def test_a_public_address_is_accepted_and_allow_private_lifts_the_check():
    assert await check_url("https://93.184.216.34/hook", PRODUCTION) == "https://93.184.216.34/hook"
    assert await check_url("https://[2606:4700::1111]/hook", PRODUCTION)
    assert await check_url("http://127.0.0.1:8080/hook", UrlPolicy(allow_private=True, require_https=False))


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://93.184.216.34/hook", "must be an absolute https URL"),
        ("ftp://93.184.216.34/hook", "must be an absolute https URL"),
        ("https://user:pw@93.184.216.34/hook", "may not hold credentials"),
        ("https://93.184.216.34/hook#part", "may not hold credentials or a fragment"),
        ("https://93.184.216.34:99999/hook", "not a valid port"),
        ("/relative", "must be an absolute https URL"),
    ],
)
async def test_production_wants_a_plain_absolute_https_url(url, reason):
    with pytest.raises(RefusedUrl, match=reason):
        await check_url(url, PRODUCTION)


async def test_every_address_of_a_name_is_checked(monkeypatch):
    async def two_answers(host, port):
        return [PUBLIC, ipaddress.ip_address("10.1.2.3")]

    monkeypatch.setattr(ssrf, "resolve", two_answers)
    with pytest.raises(RefusedUrl, match=r"resolves to 10\.1\.2\.3"):
        await check_url("https://hooks.partner.example/rj", STRICT)


async def test_the_api_refuses_a_private_url_as_a_user_error(http, session):
    from hub.agencies.models import AgencyKind
    from hub.auth.scopes import Role
    from tests.factories import create_agency, create_client, token_for

    police = await create_agency(session, AgencyKind.POLICE)
    token = await token_for(http, await create_client(session, police, {Role.REFERRER}))
    given = {"url": "http://0x7f.1:8000/hook", "eventTypes": ["CASE_CLOSED"]}
    result = (await graphql(http, token, CREATE, {"input": given}))["data"]["createWebhookSubscription"]
    assert result["secret"] is None and result["subscription"] is None
    (error,) = result["userErrors"]
    assert (error["field"], error["code"]) == (["input", "url"], "INVALID")
    assert "127.0.0.1 is a loopback address" in error["message"]
    assert (await session.execute(sa.text("SELECT count(*) FROM webhook_subscription"))).scalar_one() == 0


async def test_a_name_that_turns_private_after_subscribing_is_refused_when_sending(
    hook_http, world, receiver, worker, monkeypatch, session
):
    answers = {"hooks.partner.example": PUBLIC}

    async def dns(host, port):
        return [answers[host]]

    monkeypatch.setattr(ssrf, "resolve", dns)
    strict = worker.policy.__class__(allow_private=False, require_https=False)
    subscription_url = "http://hooks.partner.example/rj"
    assert await check_url(subscription_url, strict)  # public when it subscribed
    await subscribe(hook_http, world["referrer"], subscription_url, ["REFERRAL_RECEIVED"])
    answers["hooks.partner.example"] = ipaddress.ip_address("127.0.0.1")  # DNS rebinding to the hub's own host
    monkeypatch.setattr(worker, "policy", strict)
    await submit(hook_http, world["referrer"])
    await drain(worker)
    assert receiver.requests == []
    attempt = (await session.execute(sa.text("SELECT * FROM webhook_attempt"))).mappings().one()
    assert attempt["status_code"] is None
    assert attempt["error"].startswith("Not sent: Webhooks only go to public addresses: hooks.partner.example")
    disclosures = "SELECT count(*) FROM audit_entry WHERE action = 'DISCLOSURE'"
    assert (await session.execute(sa.text(disclosures))).scalar_one() == 0  # nothing left the hub


async def test_the_request_goes_to_the_checked_address_under_the_name(hook_http, world, receiver, worker, monkeypatch):
    async def dns(host, port):
        assert host == "receiver.partner.example"
        return [ipaddress.ip_address("127.0.0.1")]

    monkeypatch.setattr(ssrf, "resolve", dns)
    port = receiver.url.split(":")[2].split("/")[0]
    await subscribe(hook_http, world["referrer"], f"http://receiver.partner.example:{port}/rj", ["REFERRAL_RECEIVED"])
    await submit(hook_http, world["referrer"])
    await drain(worker)
    (request,) = receiver.requests
    assert request.headers["host"] == f"receiver.partner.example:{port}"


@pytest.mark.parametrize(
    ("spelling", "address"),
    [("2130706433", "127.0.0.1"), ("0x7f.1", "127.0.0.1"), ("017700000001", "127.0.0.1"), ("[::1]", "::1")],
)
def test_numeric_spellings_are_read_as_the_address_they_mean(spelling, address):
    assert ssrf.numeric_address(spelling) == ipaddress.ip_address(address)
    assert ssrf.numeric_address("hooks.partner.example") is None
