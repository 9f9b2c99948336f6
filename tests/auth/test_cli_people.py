"""`hub user create` and the portal options of `hub client create`: results, and one-line errors."""

from __future__ import annotations

import json

import pytest
from joserfc.jwk import ECKey
from typer.testing import CliRunner

from hub.cli import app
from hub.db import upgrade

runner = CliRunner()
AGENCY = "Essex Police — Colchester"


def invoke(url: str, *args: str, stdin: str | None = None):
    return runner.invoke(app, list(args), env={"DATABASE_URL": url}, input=stdin)


def one_line_error(result, text: str) -> None:
    assert result.exit_code == 1
    assert result.output == f"error: {text}\n"


@pytest.fixture
def hub_database(empty_database) -> str:
    upgrade(empty_database)
    assert invoke(empty_database, "agency", "create", "--name", AGENCY, "--kind", "police").exit_code == 0
    return empty_database


def user(url: str, *options: str, stdin: str | None = None):
    return invoke(url, "user", "create", "--agency", AGENCY, *options, stdin=stdin)


def client(url: str, *options: str):
    return invoke(url, "client", "create", "--agency", AGENCY, "--role", "referrer", *options)


def test_user_create_prints_the_user_and_a_generated_password_once(hub_database):
    created = user(
        hub_database, "--email", "Sam.Taylor@Police.Example.org", "--role", "referrer", "--name", "Sam Taylor"
    )
    assert created.exit_code == 0, created.output
    first, second = created.output.splitlines()
    assert first.startswith(f"created user sam.taylor@police.example.org (REFERRER) in {AGENCY!r} id ")
    assert second.startswith("password: ") and "shown once" in second
    as_json = json.loads(user(hub_database, "--email", "pat@police.example.org", "--role", "referrer", "--json").output)
    assert (as_json["email"], as_json["roles"], as_json["agency"]) == ("pat@police.example.org", ["REFERRER"], AGENCY)
    assert len(as_json["password"]) >= 20


def test_user_create_reads_a_password_from_stdin(hub_database):
    created = user(
        hub_database,
        "--email",
        "a@police.example.org",
        "--role",
        "referrer",
        "--password-stdin",
        stdin="a long passphrase here\n",
    )
    assert created.exit_code == 0, created.output
    assert "password" not in created.output
    one_line_error(
        user(
            hub_database, "--email", "b@police.example.org", "--role", "referrer", "--password-stdin", stdin="short\n"
        ),
        "the password must be at least 12 characters long",
    )


def test_user_create_errors_are_one_line(hub_database):
    assert user(hub_database, "--email", "sam@police.example.org", "--role", "referrer").exit_code == 0
    one_line_error(
        user(hub_database, "--email", "SAM@police.example.org", "--role", "referrer"),
        "a user with the email 'sam@police.example.org' already exists",
    )
    one_line_error(
        user(hub_database, "--email", "boss@police.example.org", "--role", "manager"),
        f"the role MANAGER is only for the RJ service's own agency, not for {AGENCY!r}",
    )
    one_line_error(
        invoke(hub_database, "user", "create", "--agency", "Nobody", "--email", "x@example.org", "--role", "referrer"),
        "no agency is named 'Nobody' (see `hub agency create`)",
    )
    one_line_error(
        user(hub_database, "--email", "f@example.org", "--role", "facilitator", "--facilitator", "none@example.org"),
        "no facilitator has the email 'none@example.org'",
    )
    invalid = user(hub_database, "--email", "not-an-email", "--role", "referrer")
    assert invalid.exit_code == 1 and invalid.output.startswith("error: the email address 'not-an-email' is not valid")


def test_client_create_public_portal(hub_database):
    created = client(hub_database, "--public", "--redirect-uri", "https://portal.example.org/cb", "--json")
    assert created.exit_code == 0, created.output
    result = json.loads(created.output)
    assert result["client_secret"] is None
    assert result["token_endpoint_auth_method"] == "none"
    assert result["grant_types"] == ["authorization_code", "refresh_token"]
    assert result["redirect_uris"] == ["https://portal.example.org/cb"]
    text = client(hub_database, "--public", "--redirect-uri", "http://localhost:3000/cb")
    assert "client_secret" not in text.output and "redirect URI:  http://localhost:3000/cb" in text.output


def test_client_create_with_a_key_set(hub_database, tmp_path):
    key = ECKey.generate_key("P-256", parameters={"kid": "records-1"})
    keys = tmp_path / "jwks.json"
    keys.write_text(json.dumps({"keys": [key.as_dict(private=False)]}))
    result = json.loads(client(hub_database, "--jwks-file", str(keys), "--json").output)
    assert (result["client_secret"], result["token_endpoint_auth_method"]) == (None, "private_key_jwt")
    assert result["grant_types"] == ["client_credentials"]
    private = tmp_path / "private.json"
    private.write_text(json.dumps({"keys": [key.as_dict(private=True)]}))
    one_line_error(
        client(hub_database, "--jwks-file", str(private)),
        "the key set holds a private key: register only the public keys",
    )
    one_line_error(
        client(hub_database, "--jwks-file", str(tmp_path / "missing.json")),
        f"cannot read the key set {str(tmp_path / 'missing.json')!r}: No such file or directory",
    )


def test_client_create_portal_errors_are_one_line(hub_database, tmp_path):
    one_line_error(client(hub_database, "--public"), "a portal needs at least one redirect URI")
    one_line_error(
        client(hub_database, "--public", "--redirect-uri", "http://portal.example.org/cb"),
        "the redirect URI 'http://portal.example.org/cb' must use https (plain http only for localhost)",
    )
    one_line_error(
        client(hub_database, "--public", "--redirect-uri", "https://portal.example.org/cb#top"),
        "the redirect URI 'https://portal.example.org/cb#top' must be an absolute https URL without a fragment",
    )
    keys = tmp_path / "jwks.json"
    keys.write_text("{}")
    one_line_error(
        client(hub_database, "--public", "--jwks-file", str(keys), "--redirect-uri", "https://p.example.org/cb"),
        "--public and --jwks-file exclude each other: a public client holds no key",
    )


def test_a_confidential_portal_has_a_secret_and_people_grants(hub_database):
    result = json.loads(client(hub_database, "--redirect-uri", "https://portal.example.org/cb", "--json").output)
    assert len(result["client_secret"]) >= 40
    assert result["token_endpoint_auth_method"] == "client_secret_basic"
    assert result["grant_types"] == ["authorization_code", "refresh_token"]


def test_client_disable(hub_database):
    created = json.loads(client(hub_database, "--json").output)
    disabled = invoke(hub_database, "client", "disable", created["client_id"])
    assert disabled.output == f"disabled client {created['client_id']}\n"
    one_line_error(invoke(hub_database, "client", "disable", "hub_nobody"), "no client has the id 'hub_nobody'")
