"""What every mutation shares: user errors as data, one change per mutation, ids parsed into refusals.

A mutation parses its input, calls one service function through `attempt`, and shapes the payload. A refusal
comes back in `userErrors` (field path, message, code), and the savepoint around the change is rolled back.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from enum import Enum
from typing import Any, TypeVar

import strawberry

from hub.api.context import Info
from hub.ids import global_id, row_id
from hub.problems import PROBLEM_DESCRIPTIONS, Problem, Refused

T = TypeVar("T")

__all__ = ["UserError", "UserErrorCode", "attempt", "global_id", "row_id", "user_errors"]

UserErrorCode = strawberry.enum(
    Enum(  # type: ignore[misc]
        "UserErrorCode",
        {code.name: strawberry.enum_value(code.value, description=text) for code, text in PROBLEM_DESCRIPTIONS.items()},
    ),
    description="Why a mutation was refused. Stable: integrations may branch on it.",
)


@strawberry.type(description="Why a mutation was refused, as data (the convention of Shopify and Saleor).")
class UserError:
    field: list[str] | None = strawberry.field(
        description='The path of the input field at fault, e.g. ["input", "participants", "1", '
        '"dateOfBirth"]; null when the refusal concerns the change as a whole.'
    )
    message: str = strawberry.field(description="What is wrong and what to do about it, for a person to read.")
    code: UserErrorCode = strawberry.field(description="The rule that refused the change.")  # type: ignore[valid-type]

    @classmethod
    def of(cls, problem: Problem) -> UserError:
        return cls(field=list(problem.field) or None, message=problem.message, code=UserErrorCode[problem.code.name])


def user_errors(problems: Sequence[Problem]) -> list[UserError]:
    return [UserError.of(problem) for problem in problems]


async def attempt(info: Info, action: Callable[..., Awaitable[T]], /, *args: Any) -> tuple[T | None, list[UserError]]:
    """Run one service function as the mutation's change (audited under the mutation's name): its result, or the
    refusal as user errors."""
    try:
        return await info.context.change(action, *args, operation=info.field_name), []
    except Refused as refused:
        return None, user_errors(refused.problems)
