"""The business rules of OAuth clients and of the people who sign in to portals; the only code that writes them."""

from __future__ import annotations

import secrets
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email
from joserfc.errors import JoseError, SecurityWarning
from joserfc.jwk import KeySet
from sqlalchemy.ext.asyncio import AsyncSession

from hub.agencies.models import Agency
from hub.auth import repository
from hub.auth.models import OAuthClient, User
from hub.auth.passwords import hash_secret, new_secret
from hub.auth.scopes import SERVICE_ROLES, Role, Scope, scopes_for
from hub.columns import utcnow
from hub.config import LOOPBACK_HOSTS
from hub.facilitators.models import Facilitator

PORTAL_GRANTS = ["authorization_code", "refresh_token"]
MIN_PASSWORD_LENGTH = 12
MIN_RSA_BITS = 2048


class ClientError(Exception):
    """A client cannot be created as asked; the message says why."""


class UserError(Exception):
    """A user cannot be created as asked; the message says why."""


@dataclass(frozen=True)
class IssuedClient:
    """A new client and its secret, which exists only here: the database keeps just its hash."""

    client: OAuthClient
    secret: str


@dataclass(frozen=True)
class IssuedUser:
    """A new user and, when the hub generated it, their password: shown once, kept only as a hash."""

    user: User
    password: str | None


def _roles_refusal(agency: Agency, roles: set[Role]) -> str | None:
    if not roles:
        return "give at least one role"
    if roles & SERVICE_ROLES and agency.kind != "RJ_SERVICE":
        names = " and ".join(sorted(r.value for r in roles & SERVICE_ROLES))
        return f"the role {names} is only for the RJ service's own agency, not for {agency.name!r}"
    return None


def _granted_scopes(agency: Agency, roles: set[Role], scopes: set[Scope] | None) -> list[str]:
    refusal = _roles_refusal(agency, roles)
    if refusal:
        raise ClientError(refusal)
    allowed = scopes_for(roles)
    refused = (scopes or set()) - allowed
    if refused:
        raise ClientError(f"the roles given do not allow the scopes: {', '.join(sorted(s.value for s in refused))}")
    return sorted(s.value for s in (scopes or allowed))


def _check_redirect_uris(redirect_uris: Sequence[str]) -> list[str]:
    """Absolute https URIs (plain http only on this machine), without fragments; compared exactly later."""
    if not redirect_uris:
        raise ClientError("a portal needs at least one redirect URI")
    for uri in redirect_uris:
        parts = urlsplit(uri)
        if "#" in uri or not parts.hostname or parts.scheme not in ("https", "http"):
            raise ClientError(f"the redirect URI {uri!r} must be an absolute https URL without a fragment")
        if parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
            raise ClientError(f"the redirect URI {uri!r} must use https (plain http only for localhost)")
    return list(dict.fromkeys(redirect_uris))


def _new_client(
    agency: Agency, name: str, roles: set[Role], scopes: set[Scope] | None, facilitator: Facilitator | None
) -> OAuthClient:
    granted = _granted_scopes(agency, roles, scopes)
    if facilitator is not None and Role.FACILITATOR not in roles:
        raise ClientError("only a client with the FACILITATOR role may act for a facilitator")
    return OAuthClient(
        client_id=f"hub_{secrets.token_urlsafe(12)}",
        name=name.strip() or agency.name,
        agency_id=agency.id,
        roles=sorted(r.value for r in roles),
        scopes=granted,
        facilitator_id=facilitator.id if facilitator else None,
    )


async def _register(session: AsyncSession, client: OAuthClient) -> OAuthClient:
    session.add(client)
    await session.flush()
    return client


async def create_client(
    session: AsyncSession,
    agency: Agency,
    name: str,
    roles: set[Role],
    scopes: set[Scope] | None = None,
    facilitator: Facilitator | None = None,
    *,
    redirect_uris: Sequence[str] = (),
) -> IssuedClient:
    """Register a client with a secret; its scopes default to everything its roles allow.

    Without redirect URIs it is a partner system (client credentials); with them, a confidential portal.
    """
    client = _new_client(agency, name, roles, scopes, facilitator)
    if redirect_uris:
        client.redirect_uris = _check_redirect_uris(redirect_uris)
        client.grant_types = list(PORTAL_GRANTS)
    secret = new_secret()
    client.secret_hash = hash_secret(secret)
    return IssuedClient(await _register(session, client), secret)


async def create_public_client(
    session: AsyncSession,
    agency: Agency,
    name: str,
    roles: set[Role],
    redirect_uris: Sequence[str],
    scopes: set[Scope] | None = None,
) -> OAuthClient:
    """Register a public portal (a browser app: no secret), which signs people in with PKCE."""
    client = _new_client(agency, name, roles, scopes, None)
    client.redirect_uris = _check_redirect_uris(redirect_uris)
    client.grant_types = list(PORTAL_GRANTS)
    client.token_endpoint_auth_method = "none"  # noqa: S105 (a method name, not a secret)
    return await _register(session, client)


async def create_key_client(
    session: AsyncSession,
    agency: Agency,
    name: str,
    roles: set[Role],
    jwks: dict,
    scopes: set[Scope] | None = None,
    facilitator: Facilitator | None = None,
    *,
    redirect_uris: Sequence[str] = (),
) -> OAuthClient:
    """Register a client that authenticates with private_key_jwt (RFC 7523), signing with one of these keys."""
    client = _new_client(agency, name, roles, scopes, facilitator)
    client.jwks = public_key_set(jwks)
    client.token_endpoint_auth_method = "private_key_jwt"  # noqa: S105 (a method name, not a secret)
    if redirect_uris:
        client.redirect_uris = _check_redirect_uris(redirect_uris)
        client.grant_types = list(PORTAL_GRANTS)
    return await _register(session, client)


def public_key_set(jwks: dict) -> dict:
    """The client's JWK set, checked: public EC P-256 or RSA (2048 bits or more) keys only."""
    if isinstance(jwks, dict) and jwks.get("keys") == []:
        raise ClientError("the key set holds no keys")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SecurityWarning)  # a short RSA key is refused below, with a reason
            keys = KeySet.import_key_set(jwks)  # type: ignore[arg-type]
    except (JoseError, ValueError, TypeError, KeyError, AttributeError):
        raise ClientError('the key file is not a JSON Web Key Set ({"keys": [...]})') from None
    for key in keys.keys:
        _check_public_key(key)
    return dict(keys.as_dict(private=False))


def _check_public_key(key: object) -> None:
    if getattr(key, "is_private", False):
        raise ClientError("the key set holds a private key: register only the public keys")
    kind = getattr(key, "key_type", "")
    if kind == "EC" and key.curve_name == "P-256":  # type: ignore[attr-defined]
        return
    if kind == "RSA" and key.raw_value.key_size >= MIN_RSA_BITS:  # type: ignore[attr-defined]
        return
    raise ClientError("keys must be EC P-256 (ES256) or RSA of at least 2048 bits (RS256, PS256)")


async def disable_client(session: AsyncSession, client: OAuthClient) -> None:
    """Stop the client at once: no new tokens, and its access and refresh tokens refused from now on."""
    now = utcnow()
    client.disabled_at = now
    session.add(client)
    await session.flush()
    await repository.revoke_client_refresh_tokens(session, client.id, now)


# --- people -----------------------------------------------------------------------------------------


def _normalised_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise UserError(f"the email address {email!r} is not valid: {error}") from None


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"the password must be at least {MIN_PASSWORD_LENGTH} characters long")


async def _check_new_user(
    session: AsyncSession, agency: Agency, email: str, roles: set[Role], facilitator: Facilitator | None
) -> None:
    refusal = _roles_refusal(agency, roles)
    if refusal:
        raise UserError(refusal)
    if facilitator is not None and Role.FACILITATOR not in roles:
        raise UserError("only a user with the FACILITATOR role may be linked to a facilitator")
    if await repository.user_by_email(session, email) is not None:
        raise UserError(f"a user with the email {email!r} already exists")


async def create_user(
    session: AsyncSession,
    agency: Agency,
    email: str,
    roles: set[Role],
    *,
    full_name: str | None = None,
    facilitator: Facilitator | None = None,
    password: str | None = None,
) -> IssuedUser:
    """Register a person of the agency who signs in to its portals; generates their password unless given one."""
    address = _normalised_email(email)
    await _check_new_user(session, agency, address, roles, facilitator)
    if password is not None:
        _check_password(password)
    secret = password if password is not None else new_secret()[:24]
    user = User(
        agency_id=agency.id,
        email=address,
        full_name=(full_name or "").strip() or (facilitator.full_name if facilitator else None),
        roles=sorted(r.value for r in roles),
        password_hash=hash_secret(secret),
        facilitator_id=facilitator.id if facilitator else None,
    )
    session.add(user)
    await session.flush()
    return IssuedUser(user, None if password is not None else secret)
