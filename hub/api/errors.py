"""Errors by kind: protocol errors carry extensions.code; anything unexpected is masked."""

from __future__ import annotations

from enum import StrEnum

from graphql import GraphQLError


class ErrorCode(StrEnum):
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    BAD_USER_INPUT = "BAD_USER_INPUT"
    RATE_LIMITED = "RATE_LIMITED"
    QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"
    INTERNAL = "INTERNAL"


class ProtocolError(GraphQLError):
    """An expected failure that is not a mutation's user error: it names its code in extensions."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message, extensions={"code": code.value})


def not_found(what: str = "object") -> ProtocolError:
    return ProtocolError(ErrorCode.NOT_FOUND, f"No {what} with that id exists.")


def bad_input(message: str) -> ProtocolError:
    return ProtocolError(ErrorCode.BAD_USER_INPUT, message)


def forbidden(message: str) -> ProtocolError:
    return ProtocolError(ErrorCode.FORBIDDEN, message)


def is_expected(error: GraphQLError) -> bool:
    """Errors that reach the client as they are; everything else becomes "Unexpected error."."""
    original = error.original_error
    if original is None:
        return True  # parse and validation errors from graphql-core
    if isinstance(original, GraphQLError):
        # graphql-core's own errors (e.g. a variable of the wrong shape) wrap a GraphQLError with no cause.
        return original.original_error is None or bool(original.extensions and "code" in original.extensions)
    return bool(error.extensions and "code" in error.extensions)
