"""The one place that decides case transitions: the table of allowed moves and the function that applies one.

DESIGN §2: RECEIVED → ACCEPTED → ALLOCATED → CONTACT → ASSESSMENT → PREPARATION → RESTORATIVE_PROCESS →
AGREEMENT_MONITORING → CLOSED; RECEIVED → DECLINED; any open stage ⇄ ON_HOLD (back to the stage it left);
any open stage → CLOSED.
"""

from __future__ import annotations

from datetime import datetime
from itertools import pairwise
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from hub.auth.principal import Principal
from hub.columns import utcnow
from hub.live.notices import announce
from hub.problems import ProblemCode, Refused
from hub.records import NewRows
from hub.referrals.models import Referral, Stage, StageEvent
from hub.webhooks.events import emit_move

# The course of the work, in order; CLOSED follows its last stage.
MAIN_PATH = (
    Stage.RECEIVED,
    Stage.ACCEPTED,
    Stage.ALLOCATED,
    Stage.CONTACT,
    Stage.ASSESSMENT,
    Stage.PREPARATION,
    Stage.RESTORATIVE_PROCESS,
    Stage.AGREEMENT_MONITORING,
)
TERMINAL = frozenset({Stage.DECLINED, Stage.CLOSED})
OPEN = frozenset(Stage) - TERMINAL

# The forward moves: each stage of the course to the next, and RECEIVED to DECLINED. Every open stage may also go
# ON_HOLD or CLOSED (see allowed_next); ON_HOLD goes back to the stage it left.
FORWARD: dict[Stage, frozenset[Stage]] = {
    **{stage: frozenset({following}) for stage, following in pairwise(MAIN_PATH)},
    Stage.RECEIVED: frozenset({Stage.ACCEPTED, Stage.DECLINED}),
    Stage.AGREEMENT_MONITORING: frozenset(),
    Stage.ON_HOLD: frozenset(),
}

# The stages at which facilitators work the case (contact, consent, assessment, sessions, agreement).
WORKING = frozenset(MAIN_PATH[MAIN_PATH.index(Stage.ALLOCATED) :])

# The order stages are listed in messages: the work's course, then the side roads.
PROCESS_ORDER = [*MAIN_PATH, Stage.DECLINED, Stage.ON_HOLD, Stage.CLOSED]


def allowed_next(referral: Referral) -> frozenset[Stage]:
    """The stages the case may move to from where it is now."""
    stage = Stage(referral.stage)
    if stage in TERMINAL:
        return frozenset()
    if stage == Stage.ON_HOLD:
        assert referral.stage_before_hold is not None  # a CHECK constraint guarantees it
        return frozenset({Stage(referral.stage_before_hold), Stage.CLOSED})
    return FORWARD[stage] | {Stage.ON_HOLD, Stage.CLOSED}


def ordered(stages: frozenset[Stage]) -> list[Stage]:
    """Stages in the order of the process, for messages."""
    return [stage for stage in PROCESS_ORDER if stage in stages]


def check_transition(referral: Referral, to: Stage, field: tuple[str, ...] = ("input", "to")) -> None:
    """Refuse an illegal move, naming the current stage and the allowed ones."""
    allowed = allowed_next(referral)
    if to in allowed:
        return
    listed = ", ".join(ordered(allowed)) or "none: the case is " + (
        "declined" if referral.stage == "DECLINED" else "closed"
    )
    raise Refused.one(
        field,
        f"The case is at {referral.stage} and cannot move to {to}. Allowed next stages: {listed}.",
        ProblemCode.ILLEGAL_TRANSITION,
    )


def actor_name(principal: Principal) -> str | None:
    """The person who acted, when the principal is a person (portal sign-in); clients are named by client id."""
    return None if principal.subject == principal.client_id else principal.subject


def touch(referral: Referral, at: datetime | None = None) -> None:
    """Every change to a case bumps its version and its updated time."""
    referral.version += 1
    referral.updated_at = at or utcnow()


async def apply_transition(
    session: AsyncSession, principal: Principal, referral: Referral, to: Stage, note: str | None = None
) -> Any:
    """Move the case, write the stage event (who, when, from, to, note) and bump the version: the event's row."""
    check_transition(referral, to)
    at = utcnow()
    event = STAGE_EVENTS.make(
        referral_id=referral.id,
        from_stage=referral.stage,
        to_stage=to,
        at=at,
        actor_agency_id=principal.agency_id,
        actor_client_id=principal.client_id,
        actor_name=actor_name(principal),
        note=note,
    )
    if to == Stage.ON_HOLD:
        referral.stage_before_hold = referral.stage
    elif referral.stage == Stage.ON_HOLD:
        referral.stage_before_hold = None
    if to in TERMINAL:
        referral.closed_at = at
    referral.stage = to
    touch(referral, at)
    session.add(referral)
    await STAGE_EVENTS.add(session, [event])  # after the referral's UPDATE, which it flushes first (hub.prepared)
    await emit_move(session, referral, event)  # the outbox row, in this transaction (STYLE 7)
    await announce(session, event)  # live subscribers on every hub process hear of it at commit, or never
    return event


# A case's moves are written as rows, not ORM instances (hub.records): every transition and every submission.
STAGE_EVENTS = NewRows(StageEvent)
