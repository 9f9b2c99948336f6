"""Expected refusals of a change: the rule broken, where, and a message a person can act on.

Services raise `Refused`; the GraphQL layer returns its problems as the payload's `userErrors`, and the
change is rolled back so nothing is half-written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


class ProblemCode(StrEnum):
    REQUIRED = "REQUIRED"
    INVALID = "INVALID"
    TOO_LONG = "TOO_LONG"
    TOO_MANY = "TOO_MANY"
    IN_FUTURE = "IN_FUTURE"
    NOT_FOUND = "NOT_FOUND"
    DUPLICATE_AGENCY_REFERENCE = "DUPLICATE_AGENCY_REFERENCE"
    STALE_VERSION = "STALE_VERSION"
    ILLEGAL_TRANSITION = "ILLEGAL_TRANSITION"
    WRONG_STAGE = "WRONG_STAGE"
    NOT_REPORTED_TO_POLICE = "NOT_REPORTED_TO_POLICE"
    FACILITATOR_NOT_TRAINED = "FACILITATOR_NOT_TRAINED"
    FACILITATOR_INACTIVE = "FACILITATOR_INACTIVE"
    NO_FACILITATOR_ALLOCATED = "NO_FACILITATOR_ALLOCATED"
    PARTIES_NOT_READY = "PARTIES_NOT_READY"
    OUTCOME_NOT_ALLOWED = "OUTCOME_NOT_ALLOWED"
    AGREEMENT_ACTIONS_OPEN = "AGREEMENT_ACTIONS_OPEN"
    ALREADY_RECORDED = "ALREADY_RECORDED"
    ALREADY_EXISTS = "ALREADY_EXISTS"
    NOT_A_FACILITATOR = "NOT_A_FACILITATOR"


PROBLEM_DESCRIPTIONS: dict[ProblemCode, str] = {
    ProblemCode.REQUIRED: "A value is missing.",
    ProblemCode.INVALID: "A value is not in the form asked for.",
    ProblemCode.TOO_LONG: "A text is over its length limit.",
    ProblemCode.TOO_MANY: "A list holds more items than allowed.",
    ProblemCode.IN_FUTURE: "A date that must be in the past is in the future.",
    ProblemCode.NOT_FOUND: "An id names nothing you may see.",
    ProblemCode.DUPLICATE_AGENCY_REFERENCE: "Your agency already referred a different case under this reference.",
    ProblemCode.STALE_VERSION: "The case changed since you read it; read it again and retry.",
    ProblemCode.ILLEGAL_TRANSITION: "The case cannot move from its current stage to the one asked for.",
    ProblemCode.WRONG_STAGE: "This cannot be recorded at the case's current stage.",
    ProblemCode.NOT_REPORTED_TO_POLICE: "A crime not reported to the police cannot be accepted.",
    ProblemCode.FACILITATOR_NOT_TRAINED: "A sensitive case needs facilitators trained for sensitive cases.",
    ProblemCode.FACILITATOR_INACTIVE: "The facilitator does not take cases at present.",
    ProblemCode.NO_FACILITATOR_ALLOCATED: "The case has no facilitator yet.",
    ProblemCode.PARTIES_NOT_READY: "A harmed or responsible party has not consented or been assessed SAFE.",
    ProblemCode.OUTCOME_NOT_ALLOWED: "That outcome is not possible at the case's stage.",
    ProblemCode.AGREEMENT_ACTIONS_OPEN: "RESOLVED needs every agreed action done or waived.",
    ProblemCode.ALREADY_RECORDED: "The thing was already settled and cannot be recorded again.",
    ProblemCode.ALREADY_EXISTS: "Something with the same identity already exists.",
    ProblemCode.NOT_A_FACILITATOR: "The caller acts for no facilitator, so has no hours of its own to log.",
}


@dataclass(frozen=True)
class Problem:
    """One refusal: the input path it concerns (empty when it concerns the whole change), a message, a code."""

    field: tuple[str, ...]
    message: str
    code: ProblemCode


class Refused(Exception):
    """A change refused by a rule; nothing it wrote may remain."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = list(problems)

    @classmethod
    def one(cls, field: Sequence[str | int], message: str, code: ProblemCode) -> Refused:
        return cls([Problem(path(*field), message, code)])


def path(*parts: str | int) -> tuple[str, ...]:
    """An input path as GraphQL clients expect it: names and list indexes, all strings."""
    return tuple(str(part) for part in parts)
