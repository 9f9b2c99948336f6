"""The GraphQL schema: the domains' Query parts, assembled with the hardening extensions."""

from __future__ import annotations

import logging
import traceback
from collections.abc import AsyncIterator, Iterator
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    MaskErrors,
    SchemaExtension,
)
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext
from strawberry.types.graphql import OperationType

from hub.agencies.mutations import AgencyMutation
from hub.agencies.queries import AgencyQuery
from hub.agencies.types import AgencyType
from hub.api import faults, inputs
from hub.api.access import govern
from hub.api.compiled import CompiledExecutionContext
from hub.api.errors import is_expected
from hub.api.limits import ProductionQueryLimits, QueryLimits
from hub.api.node import NodeQuery
from hub.api.runner import HubExtensionsRunner
from hub.audit.queries import AuditQuery
from hub.auth.mutations import ClientMutation, ClientQuery
from hub.auth.types import ViewerQuery
from hub.facilitators.mutations import FacilitatorMutation
from hub.facilitators.queries import FacilitatorQuery
from hub.facilitators.types import FacilitatorType, VolunteerHoursEntryType
from hub.live.connection import WebSocketOperations
from hub.referrals.mutations import ReferralMutation
from hub.referrals.queries import ReferralQuery
from hub.referrals.record_types import (
    AgreementActionType,
    AssessmentType,
    ContactAttemptType,
    FeedbackType,
    OutcomeAgreementType,
    RestorativeSessionType,
)
from hub.referrals.subscriptions import ReferralStageChange, ReferralSubscription
from hub.referrals.types import ContactDetails, Custody, Needs, ParticipantType, ReferralType, Referrer, StageEvent
from hub.stats.queries import StatisticsQuery
from hub.webhooks.mutations import WebhookMutation
from hub.webhooks.queries import WebhookQuery

# The types whose fields the access table in hub/api/access.py governs: everything a case is read through.
GOVERNED_TYPES = [
    ReferralType,
    Referrer,
    ParticipantType,
    ContactDetails,
    Needs,
    Custody,
    StageEvent,
    FacilitatorType,
    VolunteerHoursEntryType,
    ContactAttemptType,
    AssessmentType,
    RestorativeSessionType,
    OutcomeAgreementType,
    AgreementActionType,
    FeedbackType,
    AgencyType,
    ReferralStageChange,
]

log = logging.getLogger(__name__)


@strawberry.type(description="Everything a partner, a portal or the service can read.")
class Query(
    NodeQuery,
    ViewerQuery,
    ReferralQuery,
    AgencyQuery,
    StatisticsQuery,
    FacilitatorQuery,
    AuditQuery,
    WebhookQuery,
    ClientQuery,
):
    pass


@strawberry.type(description="Every change: referrals, case work and the service's administration.")
class Mutation(ReferralMutation, FacilitatorMutation, AgencyMutation, WebhookMutation, ClientMutation):
    pass


@strawberry.type(description="Live updates, over the WebSocket at /graphql (graphql-transport-ws).")
class Subscription(ReferralSubscription):
    pass


class UnitOfWork(SchemaExtension):
    """One session per request: a mutation without unexpected errors commits, everything else rolls back."""

    async def on_operation(self) -> AsyncIterator[None]:  # type: ignore[override]
        yield
        context = self.execution_context.context
        result = self.execution_context.result
        errors = getattr(result, "errors", None) or []
        commit = self.execution_context.operation_type == OperationType.MUTATION and all(is_expected(e) for e in errors)
        await context.finish(commit=commit)


def _mask(error: GraphQLError) -> bool:
    return not is_expected(error)


class HubMaskErrors(MaskErrors):
    """Unexpected errors reach the client as "Unexpected error." with code INTERNAL; the log has the rest."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=_mask)
        self.request_id: str | None = None

    def on_operation(self) -> Iterator[None]:
        self.request_id = getattr(self.execution_context.context, "request_id", None)
        yield from super().on_operation()

    def _process_result(self, result: object) -> None:
        """MaskErrors' own, without its isinstance check against a runtime-checkable Protocol (which walks the
        Protocol's members on every request): a result has errors when it has an `errors` that is not empty."""
        errors = getattr(result, "errors", None)
        if errors:
            result.errors = self._process_errors(errors)  # type: ignore[attr-defined]

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        message = faults.MESSAGE if faults.is_unavailable(error.original_error) else self.error_message
        extensions = {"code": "INTERNAL", "requestId": self.request_id}
        return GraphQLError(message, nodes=error.nodes, path=error.path, extensions=extensions)


class HubSchema(strawberry.Schema):
    def create_extensions_runner(
        self, execution_context: ExecutionContext, extensions: list[SchemaExtension]
    ) -> SchemaExtensionsRunner:
        return HubExtensionsRunner(execution_context=execution_context, extensions=extensions)

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        """Log only unexpected errors: denials and bad input are answers, not faults."""
        unexpected = [error for error in errors if not is_expected(error)]
        down = [error for error in unexpected if faults.is_unavailable(error.original_error)]
        if down:
            log.warning("database unavailable: %s", type(down[0].original_error).__name__)
            context = getattr(execution_context, "context", None)
            if context is not None:
                context.unavailable()
        request_id = getattr(getattr(execution_context, "context", None), "request_id", None)
        for error in unexpected:
            if error not in down:
                log_unexpected(error, request_id)


def log_unexpected(error: GraphQLError, request_id: str | None) -> None:
    """The full story for the operator, under the request id the client was given: where, what kind, and the
    traceback. Not the exception's message, which may quote SQL parameters and so personal data."""
    original = error.original_error or error
    frames = "".join(traceback.format_tb(original.__traceback__)) if original.__traceback__ else ""
    path = ".".join(str(p) for p in error.path or ())
    log.error("unexpected error [request %s] at %s: %s\n%s", request_id, path or "-", type(original).__name__, frames)


def build_schema(*, production: bool = False) -> strawberry.Schema:
    """The hub's schema. Extensions are passed as classes so no state is shared between requests."""
    # WebSocketOperations first: it gives a WebSocket operation the Context every other extension then sees.
    limits = ProductionQueryLimits if production else QueryLimits
    extensions: list = [WebSocketOperations, UnitOfWork, HubMaskErrors, limits]
    govern(GOVERNED_TYPES)
    schema = HubSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[AgencyType, FacilitatorType, ParticipantType, ReferralType],
        extensions=extensions,
        config=StrawberryConfig(relay_max_results=100),
        execution_context_class=CompiledExecutionContext,
    )
    inputs.install(schema)
    return schema


def print_sdl() -> str:
    """The SDL of the public contract, as committed in schema/hub.graphql."""
    return build_schema().as_str() + "\n"
