"""Limits every operation meets before any resolver or database work: text length, depth, directives, cost.

Depth counts every field, introspection included (Strawberry's own limiter skips introspection), through
fragments; an operation of introspection fields only may go to 15 (GraphiQL's schema query), and introspection
is off in production. Cost follows Shopify's model: an object costs 1, a scalar 0, a plain list of objects counts as
LIST_ESTIMATE items, and a connection as its page size (`first`/`last`, or the default page). The cost is
reported in `extensions.cost` of every response.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    ListValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    parse,
    value_from_ast_untyped,
)
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

from hub.api import faults
from hub.api.errors import ErrorCode, ProtocolError
from hub.api.identity import IdentityCache
from hub.api.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from hub.api.ratelimit import Limit, admit
from hub.auth.bearer import NOT_IN_FORCE, NotInForce, refusal_message

log = logging.getLogger(__name__)

MAX_QUERY_LENGTH = 15_000
MAX_DEPTH = 10
# An operation of introspection fields only (GraphiQL's schema query is 15 deep); never in production.
MAX_INTROSPECTION_DEPTH = 15
MAX_DIRECTIVES = 50
MAX_ALIASES = 15
MAX_COST = 10_000
MAX_TOKENS = 2000
DOCUMENTS = 128  # query texts whose parsed and validated documents are kept
LIST_ESTIMATE = 10


def too_complex(message: str) -> ProtocolError:
    return ProtocolError(ErrorCode.QUERY_TOO_COMPLEX, message)


@dataclass
class Walk:
    """One operation walked with its fragments expanded: deepest field, directives seen, cost."""

    schema: GraphQLSchema
    fragments: dict[str, FragmentDefinitionNode]
    variables: dict[str, Any]
    depth: int = 0
    directives: int = 0
    aliases: int = 0
    total: int = 0
    introspection_only: bool = True
    consulted: set[str] = dataclasses.field(default_factory=set)  # the variables the figures depend on (page sizes)

    def selections(self, selection_set: SelectionSetNode | None, seen: frozenset[str] = frozenset()) -> Iterator[Any]:
        """The fields of a selection set, fragments expanded (a fragment is never expanded inside itself)."""
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                yield selection, None  # its directives count in field_cost
                continue
            self.directives += len(selection.directives or ())
            if isinstance(selection, InlineFragmentNode):
                yield from self.typed(selection.type_condition, selection.selection_set, seen)
            elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
                fragment = self.fragments.get(selection.name.value)
                if fragment is not None:
                    self.directives += len(fragment.directives or ())
                    yield from self.typed(fragment.type_condition, fragment.selection_set, seen | {fragment.name.value})

    def typed(self, condition: Any, selection_set: SelectionSetNode, seen: frozenset[str]) -> Iterator[Any]:
        on = self.schema.get_type(condition.name.value) if condition is not None else None
        for field, _ in self.selections(selection_set, seen):
            yield field, on

    def cost(self, parent: Any, selection_set: SelectionSetNode | None, level: int) -> int:
        """The cost of a selection set on `parent`, noting the deepest level reached."""
        self.depth = max(self.depth, level)
        total = 0
        for field, on in self.selections(selection_set):
            total += self.field_cost(on or parent, field, level + 1)
        return total

    def field_cost(self, parent: Any, field: FieldNode, level: int) -> int:
        self.directives += len(field.directives or ())
        self.aliases += field.alias is not None
        self.depth = max(self.depth, level)
        definition = getattr(parent, "fields", {}).get(field.name.value) if parent is not None else None
        if definition is None:  # introspection and __typename: counted for depth, not for cost
            self.cost(None, field.selection_set, level)
            return 0
        named = get_named_type(definition.type)
        if not isinstance(named, GraphQLObjectType) and not hasattr(named, "fields"):
            return 0
        inner = self.cost(named, field.selection_set, level)
        if named.name.endswith("Connection"):
            return 1 + self.page_size(field) * max(inner, 1)
        if isinstance(_unwrap(definition.type), GraphQLList) and not parent.name.endswith("Connection"):
            return LIST_ESTIMATE * (1 + inner)  # a connection's edges already count as its page size
        return 1 + inner

    def page_size(self, field: FieldNode) -> int:
        for argument in field.arguments or ():
            if argument.name.value in ("first", "last"):
                self.consulted.update(_variables_in(argument.value))
                value = value_from_ast_untyped(argument.value, self.variables)
                if isinstance(value, int):
                    return max(0, min(value, MAX_PAGE_SIZE))
        return DEFAULT_PAGE_SIZE


def _variables_in(value: Any) -> Iterator[str]:
    if isinstance(value, VariableNode):
        yield value.name.value
    elif isinstance(value, ListValueNode):
        for item in value.values:
            yield from _variables_in(item)
    elif isinstance(value, ObjectValueNode):
        for item in value.fields:
            yield from _variables_in(item.value)


def _unwrap(type_: Any) -> Any:
    return type_.of_type if isinstance(type_, GraphQLNonNull) else type_


def measure(
    schema: GraphQLSchema, document: DocumentNode, operation_name: str | None, variables: dict[str, Any]
) -> Walk:
    """Depth, directives and cost of the operation the request will run."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    walk = Walk(schema, fragments, variables or {})
    for operation in document.definitions:
        if not isinstance(operation, OperationDefinitionNode):
            continue
        if operation_name is not None and (operation.name is None or operation.name.value != operation_name):
            continue
        walk.directives += len(operation.directives or ())
        roots = [s for s in operation.selection_set.selections if isinstance(s, FieldNode)]
        walk.introspection_only &= bool(roots) and all(f.name.value.startswith("__") for f in roots)
        root = schema.get_root_type(operation.operation)
        walk.total += walk.cost(root, operation.selection_set, 0)
    return walk


# The same text brings the same document: the caches below key on the document's identity (hub.api.identity;
# Strawberry's own validation cache hashes the whole syntax tree on every request, 0.3 ms for a case's query).
parsed = lru_cache(maxsize=DOCUMENTS)(parse)


class Validated:
    """Each document's validation errors, once per set of rules."""

    def __init__(self, size: int = DOCUMENTS) -> None:
        self.cache: IdentityCache[list[GraphQLError]] = IdentityCache(size)

    def errors(self, schema: GraphQLSchema, document: DocumentNode, rules: tuple) -> list[GraphQLError]:
        errors = self.cache.get((schema, document), rules)
        if errors is None:
            errors = self.cache.put((schema, document), rules, validate_document(schema, document, rules))
        return errors


VALIDATED = Validated()


@dataclass(frozen=True, slots=True)
class Figures:
    """What the limits are checked against, for one operation and the values of the variables it depends on."""

    depth: int
    directives: int
    aliases: int
    total: int
    introspection_only: bool


class Measured:
    """The figures of each operation, walked once: only the page sizes' variables change the figures, so those
    variables' values are part of the key."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        # (schema, document, operation name) -> (the variables consulted, {their values: figures})
        self.cache: IdentityCache[tuple[tuple[str, ...], dict[tuple, Figures]]] = IdentityCache(size)

    def figures(
        self, schema: GraphQLSchema, document: DocumentNode, operation_name: str | None, variables: dict[str, Any]
    ) -> Figures:
        entry = self.cache.get((schema, document), operation_name)
        if entry is not None:
            values = _values(entry[0], variables)
            known = entry[1].get(values) if values is not None else None
            if known is not None:
                return known
        walk = measure(schema, document, operation_name, variables)
        figures = Figures(walk.depth, walk.directives, walk.aliases, walk.total, walk.introspection_only)
        consulted = tuple(sorted(walk.consulted))
        values = _values(consulted, variables)
        if values is not None:
            if entry is None or entry[0] != consulted:
                entry = self.cache.put((schema, document), operation_name, (consulted, {}))
            if len(entry[1]) < self.size:  # page sizes a client sends are few; a client cycling through more walks
                entry[1][values] = figures
        return figures


def _values(names: tuple[str, ...], variables: dict[str, Any]) -> tuple | None:
    """The variables' values as a key (their types too: 5 and 5.0 are not the same page size), or None when one is
    not hashable (then the operation is walked each time)."""
    values = tuple((type(variables.get(name)), variables.get(name)) for name in names)
    try:
        hash(values)
    except TypeError:
        return None
    return values


MEASURED = Measured()


class QueryLimits(SchemaExtension):
    """Everything an operation meets before anything runs, as one extension (one set of hooks a request, not one
    an aspect): the text's length and tokens; parsing and validation, each done once per text (`parsed`,
    `VALIDATED`); in production, no introspection and no "Did you mean" suggestions; depth, aliases, directives and
    cost; and the client's rate limit. A limit refuses with QUERY_TOO_COMPLEX; the cost is reported in every
    response."""

    production = False
    cost: int = 0

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        query = context.query or ""
        if len(query) > MAX_QUERY_LENGTH:
            raise too_complex(f"The query is {len(query)} characters long; at most {MAX_QUERY_LENGTH} are allowed.")
        context.parse_options["max_tokens"] = MAX_TOKENS
        if self.production:
            context.validation_rules = (*context.validation_rules, NoSchemaIntrospectionCustomRule)
        yield

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is None and context.query:
            try:
                context.graphql_document = parsed(context.query, **context.parse_options)
            except GraphQLError as error:
                if "more than" in error.message and "tokens" in error.message:  # graphql-core's max_tokens refusal
                    error.extensions = {"code": ErrorCode.QUERY_TOO_COMPLEX.value}
                raise
        yield

    async def on_validate(self) -> AsyncIterator[None]:
        # Before execution is decided: an error set here stops the operation.
        context = self.execution_context
        if context.graphql_document is not None:
            errors = VALIDATED.errors(context.schema._schema, context.graphql_document, tuple(context.validation_rules))
            if self.production:
                for error in errors:  # the cached errors themselves: the same text each time
                    error.message = error.message.partition(" Did you mean")[0]
            context.pre_execution_errors = errors
        if not context.pre_execution_errors and context.graphql_document is not None:
            variables = context.variables or {}
            walk = MEASURED.figures(context.schema._schema, context.graphql_document, context.operation_name, variables)
            self.cost = walk.total
            refusal = _refusal(walk, self.cost) or await self.rate_limited()
            if refusal is not None:
                context.pre_execution_errors = [refusal]
        yield

    async def rate_limited(self) -> ProtocolError | None:
        """Admit the operation (hub.api.ratelimit.admit): refuse with HTTP 401 a token no longer in force, and
        with HTTP 429 an operation its client's bucket cannot pay for."""
        hub_context = self.execution_context.context
        principal = hub_context.principal
        limit = Limit.per_minute(principal.rate_limit_per_minute or hub_context.settings.rate_limit_per_minute)
        key = f"graphql:{principal.client_id}"
        try:
            in_force, retry_after = await hub_context.run(admit, principal, key, limit, self.cost)
        except Exception as error:
            if not faults.is_unavailable(error):
                raise
            log.warning("database unavailable at admission: %s", type(error).__name__)  # e.g. the pool's TimeoutError
            hub_context.unavailable()
            return ProtocolError(ErrorCode.INTERNAL, faults.MESSAGE)
        if not in_force:
            refused = NotInForce(NOT_IN_FORCE)
            hub_context.unauthenticated(refused)
            return ProtocolError(ErrorCode.UNAUTHENTICATED, refusal_message(refused))
        if retry_after is None:
            return None
        hub_context.throttled(retry_after)
        return ProtocolError(
            ErrorCode.RATE_LIMITED,
            f"Rate limit reached: this client may spend {int(limit.capacity)} points a minute and this operation "
            f"costs {max(self.cost, 1)}. Retry after {int(retry_after)} seconds.",
        )

    def get_results(self) -> dict[str, Any]:
        return {"cost": {"requestedQueryCost": self.cost, "maximumAvailable": MAX_COST}}


class ProductionQueryLimits(QueryLimits):
    production = True


def _refusal(walk: Figures, cost: int) -> ProtocolError | None:
    limit = MAX_INTROSPECTION_DEPTH if walk.introspection_only else MAX_DEPTH
    if walk.depth > limit:
        return too_complex(f"The query is {walk.depth} levels deep; at most {limit} are allowed.")
    if walk.aliases > MAX_ALIASES:
        return too_complex(f"The query uses {walk.aliases} aliases; at most {MAX_ALIASES} are allowed.")
    if walk.directives > MAX_DIRECTIVES:
        return too_complex(f"The query uses {walk.directives} directives; at most {MAX_DIRECTIVES} are allowed.")
    if cost > MAX_COST:
        return too_complex(
            f"The query would cost {cost} points; at most {MAX_COST} are allowed. Ask for smaller pages "
            "(first/last) or fewer nested lists."
        )
    return None
