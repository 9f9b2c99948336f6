"""What an OAuth request needs from the database, loaded before authlib runs, and the writes it asks for.

authlib's server core is synchronous and runs in a worker thread. So each endpoint loads, asynchronously, every row
the request may touch (clients, the code or refresh token presented, the person behind it), hands authlib these
records, and applies the writes authlib's hooks queued only after it returns, in the same transaction. Rows that
must be used at most once (codes, refresh tokens) are loaded FOR UPDATE: a concurrent request waits, then sees them
used.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from authlib.oauth2.rfc6749 import TokenMixin
from joserfc import jws
from joserfc.errors import JoseError
from sqlalchemy.ext.asyncio import AsyncSession

from hub.auth import repository
from hub.auth.keys import KeyRing
from hub.auth.models import AuthorizationCode, OAuthClient, RefreshToken, User
from hub.auth.passwords import token_digest
from hub.auth.scopes import Role, scopes_for
from hub.auth.tokens import InvalidToken, decode_access_token, principal_from_claims
from hub.columns import utcnow
from hub.config import Settings

Write = Callable[[AsyncSession], Awaitable[Any]]


class AssertionReplayed(Exception):
    """A private_key_jwt assertion was used by a concurrent request first."""


@dataclass
class Person:
    """authlib's view of a person who signed in (the resource owner), with their agency's kind."""

    user: User
    agency_kind: str

    def get_user_id(self) -> str:
        return str(self.user.id)

    @property
    def active(self) -> bool:
        return self.user.disabled_at is None

    def roles_through(self, client: Any) -> list[str]:
        """The person's roles that the client also has: a portal never gives a person more than it may do."""
        return sorted(set(self.user.roles) & set(client.roles))

    def may_use(self, client: Any) -> bool:
        """An active person of the client's own agency, with at least one role the client has."""
        return self.active and self.user.agency_id == client.agency_id and bool(self.roles_through(client))

    def narrow_scope(self, client: Any, scope: str) -> str:
        allowed = scopes_for({Role(r) for r in self.roles_through(client)})
        return " ".join(s for s in scope.split() if s in allowed)

    def token_claims(self, client: Any) -> dict:
        roles = self.roles_through(client)
        claims: dict[str, Any] = {"agency": str(self.user.agency_id), "agency_kind": self.agency_kind, "roles": roles}
        if self.user.facilitator_id is not None and Role.FACILITATOR in roles:
            claims["facilitator"] = str(self.user.facilitator_id)
        return claims


@dataclass
class RefreshRecord(TokenMixin):
    """A refresh token presented to the hub, with the person it was issued to."""

    row: RefreshToken
    person: Person | None
    client: OAuthClient | None

    def check_client(self, client: Any) -> bool:
        return client.row is not None and client.row.id == self.row.client_id

    def get_scope(self) -> str:
        return self.row.scope

    def get_expires_in(self) -> int:
        return max(0, int(self.row.expires_at.timestamp() - time.time()))

    def is_expired(self) -> bool:
        return self.row.expires_at <= utcnow()

    def is_revoked(self) -> bool:
        live = self.row.revoked_at is None and self.row.rotated_at is None
        holders_active = self.client is not None and self.client.disabled_at is None
        return not (live and holders_active and self.person is not None and self.person.active)

    def agency_id(self) -> str | None:
        return str(self.person.user.agency_id) if self.person else None


@dataclass
class AccessRecord(TokenMixin):
    """A valid access token presented to the revocation or introspection endpoint."""

    claims: dict
    in_force: bool

    def check_client(self, client: Any) -> bool:
        return bool(self.claims["client_id"] == client.get_client_id())

    def get_scope(self) -> str:
        return str(self.claims.get("scope") or "")

    def get_expires_in(self) -> int:
        return max(0, int(self.claims["exp"] - time.time()))

    def is_expired(self) -> bool:
        return bool(self.claims["exp"] <= time.time())

    def is_revoked(self) -> bool:
        return not self.in_force

    def agency_id(self) -> str | None:
        return str(self.claims.get("agency"))


@dataclass
class Records:
    """The rows one OAuth request may touch, and the writes queued while authlib ran."""

    clients: dict[str, Any] = field(default_factory=dict)
    code: AuthorizationCode | None = None
    refresh: RefreshRecord | None = None
    access: AccessRecord | None = None
    people: dict[uuid.UUID, Person] = field(default_factory=dict)
    used_assertions: set[tuple[str, str]] = field(default_factory=set)
    writes: list[Write] = field(default_factory=list)

    def later(self, write: Callable[..., Awaitable[Any]], **arguments: Any) -> None:
        """Queue a repository call (session first) to run once authlib has returned."""
        self.writes.append(partial(write, **arguments))

    async def save(self, session: AsyncSession) -> None:
        for write in self.writes:
            await write(session)
        self.writes.clear()

    def person(self, user_id: uuid.UUID) -> Person | None:
        return self.people.get(user_id)


async def remember_assertion(session: AsyncSession, **arguments: Any) -> None:
    """Record a private_key_jwt assertion's jti; a concurrent request that got there first makes this one fail."""
    if not await repository.remember_assertion(session, **arguments):
        raise AssertionReplayed()


def unverified_assertion(form: Mapping[str, str]) -> tuple[str, str] | None:
    """The (sub, jti) of a client assertion, read before verifying it, only to know which rows to load."""
    try:
        claims = json.loads(jws.extract_compact(form["client_assertion"].encode()).payload)
        return str(claims["sub"]), str(claims["jti"])
    except (KeyError, ValueError, TypeError, JoseError):
        return None


async def load_clients(session: AsyncSession, records: Records, client_ids: set[str], factory: Callable) -> None:
    """Load the clients the request names (by client_id, HTTP Basic or an assertion's subject)."""
    for row, agency_kind in await repository.clients_with_agency_kind(session, client_ids):
        records.clients[row.client_id] = factory(row=row, agency_kind=agency_kind)


async def load_assertion(session: AsyncSession, records: Records, form: Mapping[str, str]) -> None:
    found = unverified_assertion(form) if form.get("client_assertion") else None
    client = records.clients.get(found[0]) if found else None
    if found and client is not None and await repository.assertion_used(session, client.row.id, found[1]):
        records.used_assertions.add(found)


async def load_person(session: AsyncSession, records: Records, user_id: uuid.UUID) -> Person | None:
    found = await repository.user_with_agency_kind(session, user_id)
    if found is not None:
        records.people[user_id] = Person(*found)
    return records.person(user_id)


async def load_grant(session: AsyncSession, records: Records, form: Mapping[str, str]) -> None:
    """The authorization code or refresh token a token request presents, locked, and its person."""
    grant_type = form.get("grant_type")
    if grant_type == "authorization_code" and form.get("code"):
        records.code = await repository.authorization_code_for_update(session, token_digest(form["code"]))
        if records.code is not None:
            await load_person(session, records, records.code.user_id)
    if grant_type == "refresh_token" and form.get("refresh_token"):
        await load_refresh_token(session, records, form["refresh_token"], lock=True)


async def load_refresh_token(session: AsyncSession, records: Records, token: str, *, lock: bool) -> None:
    row = await repository.refresh_token_by_hash(session, token_digest(token), lock=lock)
    if row is not None:
        person = await load_person(session, records, row.user_id)
        records.refresh = RefreshRecord(row, person, await session.get(OAuthClient, row.client_id))


async def load_presented_token(
    session: AsyncSession, records: Records, token: str, keyring: KeyRing, settings: Settings
) -> None:
    """For revocation and introspection: the token as a refresh token, or else as a valid access token."""
    await load_refresh_token(session, records, token, lock=False)
    if records.refresh is not None:
        return
    try:
        claims = decode_access_token(token, keyring, settings)
    except InvalidToken:
        return
    try:
        principal = principal_from_claims(claims)
    except InvalidToken:
        return
    in_force = await repository.token_in_force(session, principal.client_id, claims["jti"], principal.user_id)
    records.access = AccessRecord(claims, in_force)
