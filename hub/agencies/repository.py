"""Every query of the agencies domain. Agency names and kinds are public to every principal."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hub.agencies.models import Agency
from hub.auth.principal import Principal
from hub.db import records
from hub.prepared import Prepared, any_of


def readable(principal: Principal) -> sa.Select[tuple[Agency]]:
    return sa.select(Agency)


_BY_IDS = Prepared(records(sa.select(Agency).where(any_of(Agency.id))), alone=True)


async def by_ids(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Agency]:
    rows = await _BY_IDS.rows(session, ids=list(ids))
    return {row.id: row for row in rows}


async def by_name(session: AsyncSession, name: str) -> Agency | None:
    statement = sa.select(Agency).where(sa.func.lower(Agency.name) == name.strip().lower())
    return (await session.execute(statement)).scalar_one_or_none()
