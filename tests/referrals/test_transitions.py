"""The table of allowed moves, read as DESIGN §2 draws it."""

from __future__ import annotations

import pytest

from hub.referrals.models import Referral, Stage
from hub.referrals.transitions import allowed_next

S = Stage


def at(stage: Stage, before_hold: Stage | None = None) -> Referral:
    return Referral(stage=stage, stage_before_hold=before_hold)


@pytest.mark.parametrize(
    ("stage", "allowed"),
    [
        (S.RECEIVED, {S.ACCEPTED, S.DECLINED, S.ON_HOLD, S.CLOSED}),
        (S.ACCEPTED, {S.ALLOCATED, S.ON_HOLD, S.CLOSED}),
        (S.ALLOCATED, {S.CONTACT, S.ON_HOLD, S.CLOSED}),
        (S.CONTACT, {S.ASSESSMENT, S.ON_HOLD, S.CLOSED}),
        (S.ASSESSMENT, {S.PREPARATION, S.ON_HOLD, S.CLOSED}),
        (S.PREPARATION, {S.RESTORATIVE_PROCESS, S.ON_HOLD, S.CLOSED}),
        (S.RESTORATIVE_PROCESS, {S.AGREEMENT_MONITORING, S.ON_HOLD, S.CLOSED}),
        (S.AGREEMENT_MONITORING, {S.ON_HOLD, S.CLOSED}),
        (S.DECLINED, set()),
        (S.CLOSED, set()),
    ],
)
def test_allowed_next_stages(stage, allowed):
    assert allowed_next(at(stage)) == allowed


def test_on_hold_goes_back_to_the_stage_it_left_or_closes():
    assert allowed_next(at(S.ON_HOLD, S.PREPARATION)) == {S.PREPARATION, S.CLOSED}
