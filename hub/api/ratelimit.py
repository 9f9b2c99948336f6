"""Rate limits: token buckets kept in PostgreSQL, so every hub process draws from the same bucket.

A bucket holds up to `capacity` points and refills at `per_second`. A GraphQL request takes its computed cost
(at least 1 point); the token and sign-in endpoints take 1 point per request, per source address and per
client or account. A request the bucket cannot pay for is refused with HTTP 429, `Retry-After` and code
RATE_LIMITED, and takes nothing. Buckets live in an UNLOGGED table: losing them in a crash only forgives.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel
from starlette.requests import Request

from hub.auth.bearer import token_of
from hub.auth.principal import Principal
from hub.auth.repository import in_force_condition
from hub.db import Database
from hub.prepared import Prepared, began


@dataclass(frozen=True)
class Limit:
    capacity: float
    per_second: float

    @classmethod
    def per_minute(cls, points: int) -> Limit:
        """A bucket that holds a minute's worth and refills it over a minute."""
        return cls(capacity=float(points), per_second=points / 60.0)


async def take(session: AsyncSession, key: str, limit: Limit, cost: float = 1.0) -> float | None:
    """Take `cost` points from the bucket `key`: None when granted, else the seconds until it could be."""
    _, retry_after = await _take(session, _TAKE, key, limit, cost)
    return retry_after


async def admit(
    session: AsyncSession, principal: Principal, key: str, limit: Limit, cost: float
) -> tuple[bool, float | None]:
    """A GraphQL request's admission, on its own session before anything else runs, in one statement: whether its
    token is still in force (hub.auth.bearer.in_force) and, if it is, `take` from its client's bucket. Committed
    at once, so what was taken stays taken whatever the request then does (and no bucket stays locked while the
    request runs). Returns (in force, seconds to wait or None)."""
    client_id, jti, user_id = token_of(principal)
    statement = _ADMIT_PERSON if user_id is not None else _ADMIT_CLIENT
    given = {"client_id": client_id, "jti": jti} | ({"user_id": user_id} if user_id is not None else {})
    begun = await began(session)
    admitted = await _take(session, statement, key, limit, cost, given)
    if begun:
        await session.commit()  # it ran in a transaction begun before it: commit, so the bucket is not held
    # Otherwise it ran alone (hub.prepared), committed as it completed, and the session keeps its connection for
    # the request: a request takes one connection from the pool, not one for admission and then another.
    return admitted


async def _take(
    session: AsyncSession, statement: Prepared, key: str, limit: Limit, cost: float, given: dict | None = None
) -> tuple[bool, float | None]:
    """Run a take statement: (whether it took or refused, seconds to wait or None). An admission's does neither
    for a token no longer in force."""
    cost = min(max(cost, 1.0), limit.capacity)
    row = await statement.first(
        session, key=key, capacity=limit.capacity, rate=limit.per_second, cost=cost, **(given or {})
    )
    if row is None:
        return False, None
    granted, tokens = row
    return True, None if granted else max(1.0, math.ceil((cost - tokens) / limit.per_second))


async def take_now(database: Database, key: str, limit: Limit, cost: float = 1.0) -> float | None:
    """`take` in a transaction of its own, committed at once (the request's own work may roll back)."""
    async with database.sessions() as session:
        retry_after = await take(session, key, limit, cost)
        await session.commit()
    return retry_after


class RateBucket(SQLModel, table=True):
    """One token bucket (see the module's description); UNLOGGED, as its state is worth nothing after a crash."""

    __tablename__ = "rate_bucket"
    __table_args__ = {"prefixes": ["UNLOGGED"]}

    key: str = Field(sa_column=sa.Column(sa.String(300), primary_key=True))
    tokens: float = Field(sa_column=sa.Column(sa.Float, nullable=False))
    updated_at: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
    granted: bool = Field(default=True, sa_column=sa.Column(sa.Boolean, nullable=False, server_default="true"))


async def throttle_sign_in(request: Request, account: str | None) -> float | None:
    """Take one request from the source address's bucket and the account's (client id or email): the seconds
    to wait when either is empty, else None. Accounts are keyed by a hash, never by the name itself."""
    hub = request.app.state.hub
    limit = Limit.per_minute(hub.settings.auth_rate_limit_per_minute)
    address = request.client.host if request.client else "unknown"
    keys = [f"auth:address:{address}"]
    if account:
        keys.append(f"auth:account:{hashlib.sha256(account.strip().lower().encode()).hexdigest()}")
    for key in keys:
        retry_after = await take_now(hub.database, key, limit)
        if retry_after is not None:
            return retry_after
    return None


# --- the take statement -----------------------------------------------------------------------------------------------
# The bucket's row is filled up at its rate since it was last touched, then pays the cost when it can: in the one
# INSERT ... ON CONFLICT, so concurrent requests queue on the row only for that statement.
_bucket = RateBucket.__table__
_CAPACITY, _RATE, _COST = (sa.bindparam(name, type_=sa.Float) for name in ("capacity", "rate", "cost"))
_NEW_BUCKET = (sa.bindparam("key", type_=sa.String), _CAPACITY - _COST, sa.func.clock_timestamp(), sa.true())
_REFILLED = sa.func.least(
    _CAPACITY, _bucket.c.tokens + sa.extract("epoch", sa.func.clock_timestamp() - _bucket.c.updated_at) * _RATE
)


def _taking(source: sa.Select) -> Prepared:
    """Insert the bucket `source` selects, or take from the one there; returns (granted, tokens left). Prepared
    (hub.prepared): a GraphQL request runs one of these before anything else."""
    insert = postgresql.insert(_bucket).from_select(["key", "tokens", "updated_at", "granted"], source)
    paid = _REFILLED >= _COST
    statement = insert.on_conflict_do_update(
        index_elements=[_bucket.c.key],
        set_={
            "tokens": sa.case((paid, _REFILLED - _COST), else_=_REFILLED),
            "granted": paid,
            "updated_at": sa.func.clock_timestamp(),
        },
    )
    return Prepared(statement.returning(_bucket.c.granted, _bucket.c.tokens), alone=True)


def _admitting(condition: sa.ColumnElement[bool]) -> Prepared:
    return _taking(sa.select(*_NEW_BUCKET).where(condition))


_TAKE = _taking(sa.select(*_NEW_BUCKET))
# Admission: the token-in-force condition with the token's client, jti and (for a person's token) user as parameters.
_ADMIT_CLIENT, _ADMIT_PERSON = (
    _admitting(in_force_condition(*(sa.bindparam(name) for name in names)))
    for names in (("client_id", "jti"), ("client_id", "jti", "user_id"))
)
