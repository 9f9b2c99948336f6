"""The stage-change notice: what a transition tells every hub process, through PostgreSQL NOTIFY.

PostgreSQL delivers a notice only when the transaction that sent it commits (and drops it with a rolled-back
savepoint), so a change that does not happen notifies nobody. The payload holds ids and stages only: never
personal data. Each subscriber then reads the case through its own row filter and field rules.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hub.prepared import Prepared
from hub.referrals.models import Stage

CHANNEL = "hub_stage_changed"
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class StageChange:
    """One committed move of a case, as announced."""

    event_id: uuid.UUID
    referral_id: uuid.UUID
    stage_from: Stage
    stage_to: Stage
    at: datetime


def payload(move: Any) -> str:
    """The notice's text: the stage event's id, its referral's id, the stages and the time."""
    assert move.from_stage is not None  # a transition always leaves a stage
    stages = {"from": Stage(move.from_stage).value, "to": Stage(move.to_stage).value}
    return json.dumps({"event": str(move.id), "referral": str(move.referral_id), **stages, "at": move.at.isoformat()})


async def announce(session: AsyncSession, move: Any) -> None:
    """Queue the notice of a move (a StageEvent or its row) on the change's transaction: it goes out at commit, or
    never."""
    await _NOTIFY.rows(session, channel=CHANNEL, payload=payload(move))


# Every move sends one, inside its transaction (not alone: a notice sent outside one would go out at once).
_NOTIFY = Prepared(
    sa.select(sa.func.pg_notify(sa.bindparam("channel", type_=sa.Text), sa.bindparam("payload", type_=sa.Text)))
)


def parse(text: str) -> StageChange | None:
    """The stage change a notice describes; None (and a warning) for a notice this hub did not send."""
    try:
        fields = json.loads(text)
        return StageChange(
            event_id=uuid.UUID(fields["event"]),
            referral_id=uuid.UUID(fields["referral"]),
            stage_from=Stage(fields["from"]),
            stage_to=Stage(fields["to"]),
            at=datetime.fromisoformat(fields["at"]),
        )
    except (ValueError, KeyError, TypeError):
        log.warning("ignored a malformed notice on %s", CHANNEL)
        return None
