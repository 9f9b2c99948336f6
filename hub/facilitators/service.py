"""The facilitator register and the volunteer hours log: the business rules, and the only code that writes them.

Every function checks all of its input at once and raises `Refused` listing each problem at its input path;
the caller's savepoint then rolls back, so a refused change leaves nothing behind.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import UNSET

from hub.auth.principal import Principal
from hub.facilitators import repository
from hub.facilitators.models import Accreditation, Facilitator, VolunteerHours
from hub.ids import row_id
from hub.problems import ProblemCode, Refused
from hub.referrals import repository as referrals
from hub.validation import Checker

if TYPE_CHECKING:
    from hub.facilitators.types import CreateFacilitatorInput, LogVolunteerHoursInput, UpdateFacilitatorInput

NAME_MAX_LENGTH = 200
DISTRICT_MAX_LENGTH = 100
MAX_DISTRICTS = 20
ACTIVITY_MAX_LENGTH = 200
MAX_HOURS_A_DAY = 24
QUARTERS_AN_HOUR = 4

FACILITATOR_ID = ("input", "facilitatorId")
UNIQUE_EMAIL = "uq_facilitator_email"


async def create_facilitator(session: AsyncSession, principal: Principal, given: CreateFacilitatorInput) -> Facilitator:
    """Add a facilitator to the register, every field checked and the email unused."""
    check = Checker()
    values = _details(check, given, current=None)
    await _check_email_free(session, check, values.get("email"), None)
    check.done()
    facilitator = Facilitator(**values)
    session.add(facilitator)
    await _flush_unique_email(session)
    return facilitator


async def update_facilitator(session: AsyncSession, principal: Principal, given: UpdateFacilitatorInput) -> Facilitator:
    """Change the fields given; a field left out stays as it is (an email given as null is removed)."""
    facilitator = await repository.for_update(
        session, principal, row_id(given.facilitator_id, "Facilitator", *FACILITATOR_ID)
    )
    if facilitator is None:
        raise Refused.one(FACILITATOR_ID, "No facilitator with that id exists.", ProblemCode.NOT_FOUND)
    check = Checker()
    changes = _details(check, given, current=facilitator)
    await _check_email_free(session, check, changes.get("email"), facilitator.id)
    check.done()
    for name, value in changes.items():
        setattr(facilitator, name, value)
    await _flush_unique_email(session)
    return facilitator


async def log_volunteer_hours(
    session: AsyncSession, principal: Principal, given: LogVolunteerHoursInput
) -> tuple[VolunteerHours, Facilitator]:
    """Log hours a facilitator gave: a facilitator logs their own; the service's staff log anyone's."""
    facilitator = await _whose_hours(session, principal, given.facilitator_id)
    check = Checker()
    _check_day(check, given.worked_on, date.today())
    hours = _quarter_hours(check, given.hours)
    activity = check.text(given.activity, ("input", "activity"), ACTIVITY_MAX_LENGTH, required=True)
    referral_id = await _readable_referral(session, principal, check, given.referral_id)
    check.done()
    assert activity is not None  # a blank activity was refused above
    entry = VolunteerHours(
        facilitator_id=facilitator.id,
        referral_id=referral_id,
        worked_on=given.worked_on,
        hours=hours,
        activity=activity,
    )
    session.add(entry)
    await session.flush()
    return entry, facilitator


def _details(
    check: Checker, given: CreateFacilitatorInput | UpdateFacilitatorInput, current: Facilitator | None
) -> dict[str, Any]:
    """The column values of the fields given (all of them on create), checked; UNSET fields are left out."""
    values: dict[str, Any] = {}
    if given.full_name is not UNSET:
        values["full_name"] = check.text(given.full_name, ("input", "fullName"), NAME_MAX_LENGTH, required=True)
    if given.email is not UNSET:
        values["email"] = check.email(given.email, ("input", "email"))
    if given.districts is not UNSET:
        values["districts"] = _districts(check, given.districts)
    for name, field in (("accreditation", "accreditation"), ("sensitive_trained", "sensitiveTrained")):
        if getattr(given, name) is not UNSET:
            values[name] = _present(check, getattr(given, name), field)
    active = getattr(given, "active", UNSET)  # only an update may change it
    if active is not UNSET:
        values["active"] = _present(check, active, "active")
    _check_training(check, values, current)
    return values


def _present(check: Checker, value: Any, field: str) -> Any:
    if value is None:
        check.add(("input", field), "This cannot be cleared; give a value or leave it out.", ProblemCode.REQUIRED)
    return value


def _districts(check: Checker, given: Sequence[str] | None) -> list[str]:
    """Trimmed, each given once (compared without regard to case), 1 to 20 of them."""
    field = ("input", "districts")
    districts = list(given or [])
    check.count(districts, field, 1, MAX_DISTRICTS, "districts")
    kept: dict[str, str] = {}
    for index, district in enumerate(districts):
        name = check.text(district, (*field, index), DISTRICT_MAX_LENGTH, required=True)
        if name is not None:
            kept.setdefault(name.lower(), name)
    return list(kept.values())


def _check_training(check: Checker, values: dict[str, Any], current: Facilitator | None) -> None:
    """A trainee is not yet trained for sensitive cases: that training comes with accreditation."""
    accreditation = values.get("accreditation", current.accreditation if current else None)
    sensitive = values.get("sensitive_trained", current.sensitive_trained if current else False)
    if accreditation == Accreditation.TRAINEE and sensitive:
        field = "sensitiveTrained" if "sensitive_trained" in values else "accreditation"
        check.add(
            ("input", field),
            "A TRAINEE cannot be trained for sensitive cases: that training follows accreditation. "
            "Make them ACCREDITED, or set sensitiveTrained to false.",
            ProblemCode.INVALID,
        )


async def _check_email_free(session: AsyncSession, check: Checker, email: str | None, owner: uuid.UUID | None) -> None:
    if email is not None and await repository.email_taken(session, email, owner):
        check.add(("input", "email"), "Another facilitator already has this email.", ProblemCode.ALREADY_EXISTS)


async def _flush_unique_email(session: AsyncSession) -> None:
    """Flush; a unique email taken by a concurrent request since the check is refused like any other."""
    try:
        await session.flush()
    except IntegrityError as error:
        if UNIQUE_EMAIL not in str(error.orig):
            raise
        raise Refused.one(
            ("input", "email"), "Another facilitator already has this email.", ProblemCode.ALREADY_EXISTS
        ) from None


async def _whose_hours(session: AsyncSession, principal: Principal, given_id: str | None) -> Facilitator:
    """The facilitator the hours are for: the caller's own, or (for the service's staff) the one named."""
    if not principal.is_service_staff and principal.facilitator_id is None:
        raise Refused.one(
            (),
            "This client acts for no facilitator, so it has no hours of its own to log; "
            "ask the RJ service to link it to a facilitator, or to log the hours for you.",
            ProblemCode.NOT_A_FACILITATOR,
        )
    wanted = row_id(given_id, "Facilitator", *FACILITATOR_ID) if given_id else principal.facilitator_id
    if wanted is None:
        raise Refused.one(FACILITATOR_ID, "Name the facilitator whose hours these are.", ProblemCode.REQUIRED)
    found = await repository.by_ids(session, principal, [wanted])
    # A facilitator logs only their own hours; anyone else's id is answered as if it did not exist.
    if wanted not in found or not (principal.is_service_staff or wanted == principal.facilitator_id):
        raise Refused.one(FACILITATOR_ID, "No facilitator with that id exists.", ProblemCode.NOT_FOUND)
    return found[wanted]


def _check_day(check: Checker, worked_on: date, today: date) -> None:
    field = ("input", "workedOn")
    if worked_on > today:
        check.add(
            field, f"{worked_on.isoformat()} is in the future; log hours once they are worked.", ProblemCode.IN_FUTURE
        )
    elif worked_on < _a_year_before(today):
        check.add(
            field,
            f"{worked_on.isoformat()} is more than a year ago; hours are logged within a year of the work.",
            ProblemCode.INVALID,
        )


def _a_year_before(today: date) -> date:
    try:
        return today.replace(year=today.year - 1)
    except ValueError:  # 29 February
        return today.replace(year=today.year - 1, day=28)


def _quarter_hours(check: Checker, hours: float) -> Decimal:
    quarters = hours * QUARTERS_AN_HOUR
    if not 0 < hours <= MAX_HOURS_A_DAY or quarters != round(quarters):
        check.add(
            ("input", "hours"),
            f"Log between 0.25 and {MAX_HOURS_A_DAY} hours in quarter hours (e.g. 1.5 or 2.75); got {hours}.",
            ProblemCode.INVALID,
        )
        return Decimal(0)
    return Decimal(round(quarters)) / QUARTERS_AN_HOUR


async def _readable_referral(
    session: AsyncSession, principal: Principal, check: Checker, given_id: str | None
) -> uuid.UUID | None:
    if not given_id:
        return None
    field = ("input", "referralId")
    wanted = row_id(given_id, "Referral", *field)
    if not await referrals.by_ids(session, principal, [wanted]):
        check.add(field, "No referral with that id exists.", ProblemCode.NOT_FOUND)
    return wanted
