"""A new referral checked field by field, and the fingerprint that makes resubmission idempotent."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from hub.problems import ProblemCode
from hub.referrals.inputs import ParticipantInput, SubmitReferralInput
from hub.referrals.models import SUMMARY_MAX_LENGTH, ParticipantRole, Sensitivity
from hub.referrals.types import is_child
from hub.validation import Checker

MAX_PARTICIPANTS = 20
EARLIEST_BIRTH = date(1900, 1, 1)
PRISON_NUMBER = re.compile(r"^[A-Z0-9]{1,20}$")


@dataclass
class ParticipantValues:
    role: ParticipantRole
    full_name: str | None
    date_of_birth: date | None
    phone: str | None = None
    email: str | None = None
    address: str | None = None
    preferred_contact: str | None = None
    interpreter_language: str | None = None
    accessibility_needs: str | None = None
    custody_establishment: str | None = None
    prison_number: str | None = None


@dataclass
class ReferralValues:
    """The submission, normalised (trimmed, emails lower-cased in the domain part) and checked."""

    agency_reference: str | None
    referrer_name: str | None
    referrer_email: str | None
    referrer_phone: str | None
    district: str | None
    incident_kind: str
    offence_category: str | None
    sensitivity: list[str]
    reported_to_police: bool
    responsibility_admitted: bool
    summary: str | None
    participants: list[ParticipantValues] = field(default_factory=list)

    def fingerprint(self) -> str:
        """SHA-256 of the content: the same referral sent twice has the same fingerprint."""
        canonical = json.dumps(asdict(self), sort_keys=True, default=str, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    def flags(self, today: date) -> list[str]:
        """The sensitivity flags, with CHILD_INVOLVED added when a participant is under 18."""
        flags = set(self.sensitivity)
        if any(is_child(p.date_of_birth, today) for p in self.participants):
            flags.add(Sensitivity.CHILD_INVOLVED.value)
        return [s.value for s in Sensitivity if s.value in flags]


def check_submission(given: SubmitReferralInput, today: date) -> ReferralValues:
    """Every field checked at once; raises Refused listing each problem with its input path."""
    check = Checker()
    values = ReferralValues(
        agency_reference=check.text(given.agency_reference, ("input", "agencyReference"), 100, required=True),
        referrer_name=check.text(given.referrer.name, ("input", "referrer", "name"), 200, required=True),
        referrer_email=check.email(given.referrer.email, ("input", "referrer", "email")),
        referrer_phone=check.phone(given.referrer.phone, ("input", "referrer", "phone")),
        district=check.text(given.district, ("input", "district"), 100, required=True),
        incident_kind=given.incident_kind.value,
        offence_category=check.text(given.offence_category, ("input", "offenceCategory"), 200),
        sensitivity=sorted({s.value for s in given.sensitivity}),
        reported_to_police=given.reported_to_police,
        responsibility_admitted=given.responsibility_admitted,
        summary=check.text(given.summary, ("input", "summary"), SUMMARY_MAX_LENGTH, required=True),
    )
    check.count(given.participants, ("input", "participants"), 0, MAX_PARTICIPANTS, "participants")
    values.participants = [_participant(check, p, i, today) for i, p in enumerate(given.participants)]
    _require_parties(check, given.participants)
    check.done()
    return values


def _require_parties(check: Checker, participants: list[ParticipantInput]) -> None:
    roles = {p.role for p in participants}
    for role, name in ((ParticipantRole.HARMED, "harmed"), (ParticipantRole.RESPONSIBLE, "responsible")):
        if role not in roles:
            check.add(
                ("input", "participants"),
                f"A referral needs at least one {name} party: add a participant with role {role.value}.",
                ProblemCode.REQUIRED,
            )


def _participant(check: Checker, given: ParticipantInput, index: int, today: date) -> ParticipantValues:
    at: tuple[Any, ...] = ("input", "participants", index)
    check.past_date(given.date_of_birth, (*at, "dateOfBirth"), today, earliest=EARLIEST_BIRTH)
    values = ParticipantValues(
        role=given.role,
        full_name=check.text(given.full_name, (*at, "fullName"), 200, required=True),
        date_of_birth=given.date_of_birth,
        preferred_contact=given.preferred_contact.value if given.preferred_contact else None,
    )
    if given.contact is not None:
        values.phone = check.phone(given.contact.phone, (*at, "contact", "phone"))
        values.email = check.email(given.contact.email, (*at, "contact", "email"))
        values.address = check.text(given.contact.address, (*at, "contact", "address"), 500)
    if given.needs is not None:
        values.interpreter_language = check.text(
            given.needs.interpreter_language, (*at, "needs", "interpreterLanguage"), 100
        )
        values.accessibility_needs = check.text(given.needs.accessibility, (*at, "needs", "accessibility"), 1000)
    if given.custody is not None:
        _custody(check, given, values, at)
    return values


def _custody(check: Checker, given: ParticipantInput, values: ParticipantValues, at: tuple[Any, ...]) -> None:
    assert given.custody is not None
    values.custody_establishment = check.text(
        given.custody.establishment, (*at, "custody", "establishment"), 200, required=True
    )
    number = check.text(given.custody.prison_number, (*at, "custody", "prisonNumber"), 20)
    if number is not None:
        number = number.replace(" ", "").upper()
        if not PRISON_NUMBER.match(number):
            check.add(
                (*at, "custody", "prisonNumber"),
                "A prison number has letters and digits only, e.g. A1234BC.",
                ProblemCode.INVALID,
            )
    values.prison_number = number
