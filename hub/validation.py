"""Checks of input values that every domain shares; each returns problems at the input path it was given."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from email_validator import EmailNotValidError, validate_email

from hub.problems import Problem, ProblemCode, path

PHONE = re.compile(r"^\+?[0-9 ()\-]{7,25}$")
MIN_PHONE_DIGITS = 7
MAX_PHONE_DIGITS = 15


class Checker:
    """Collects every problem of one input, so the caller hears about all of them at once."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, field: Sequence[str | int], message: str, code: ProblemCode) -> None:
        self.problems.append(Problem(path(*field), message, code))

    def text(
        self, value: str | None, field: Sequence[str | int], max_length: int, *, required: bool = False
    ) -> str | None:
        """The value stripped (None when blank); a problem if required and blank, or too long."""
        stripped = value.strip() if value is not None else ""
        if not stripped:
            if required:
                self.add(field, "This is required and may not be blank.", ProblemCode.REQUIRED)
            return None
        if len(stripped) > max_length:
            self.add(
                field,
                f"This is {len(stripped)} characters long; at most {max_length} are allowed.",
                ProblemCode.TOO_LONG,
            )
        return stripped

    def email(self, value: str | None, field: Sequence[str | int]) -> str | None:
        """A syntactically valid email address (no DNS lookup), normalised; None when blank."""
        stripped = self.text(value, field, 320)
        if stripped is None:
            return None
        try:
            return validate_email(stripped, check_deliverability=False).normalized
        except EmailNotValidError as error:
            self.add(field, f"This is not an email address: {error}", ProblemCode.INVALID)
            return stripped

    def phone(self, value: str | None, field: Sequence[str | int]) -> str | None:
        """A phone number of 7 to 15 digits, with optional +, spaces, brackets and dashes."""
        stripped = self.text(value, field, 40)
        if stripped is None:
            return None
        digits = sum(c.isdigit() for c in stripped)
        if not PHONE.match(stripped) or not MIN_PHONE_DIGITS <= digits <= MAX_PHONE_DIGITS:
            self.add(
                field,
                "This is not a phone number: use 7 to 15 digits, optionally with +, spaces, brackets or dashes.",
                ProblemCode.INVALID,
            )
        return stripped

    def past_date(self, value: date | None, field: Sequence[str | int], today: date, *, earliest: date) -> None:
        """A day that has happened, and not before `earliest`."""
        if value is None:
            return
        if value > today:
            self.add(
                field, f"{value.isoformat()} is in the future; give a date on or before today.", ProblemCode.IN_FUTURE
            )
        elif value < earliest:
            self.add(
                field, f"{value.isoformat()} is before {earliest.isoformat()}; check the date.", ProblemCode.INVALID
            )

    def count(self, items: Sequence[object], field: Sequence[str | int], low: int, high: int, what: str) -> None:
        """Between low and high items."""
        if len(items) < low:
            self.add(field, f"Give at least {low} {what}.", ProblemCode.REQUIRED)
        elif len(items) > high:
            self.add(field, f"Give at most {high} {what} (got {len(items)}).", ProblemCode.TOO_MANY)

    def done(self) -> None:
        """Raise the refusal if anything was wrong."""
        from hub.problems import Refused

        if self.problems:
            raise Refused(self.problems)
