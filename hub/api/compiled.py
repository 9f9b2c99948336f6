"""Compiled completion of the hot read paths.

graphql-core completes a result one field at a time: for every field of every object it builds a resolve info,
calls the resolver through Strawberry's wrappers and checks the value against its type, some 7-10 µs a field, which
is most of the time a list of referrals takes. For the selections under a root field, the hub compiles a plan once
(cached by field node) and then completes all objects of one selection together, a field at a time: attributes
are read with getattr, resolvers are called directly, async resolvers (the dataloaders) are awaited together once
per level, and leaves are serialised by their GraphQL type's own `serialize`. The field rules of hub/api/access.py
run unchanged: the same `FieldRule` decides (`allows_each`, which its `has_permission` asks too), so denials read
the same and restricted reads reach the audit trail the same.

A selection the plans do not cover is completed by graphql-core as before: introspection, arguments or directives
below the root field, field extensions other than the field rules, middleware. At run time anything unexpected (an
exception from a resolver, a null in a non-null field, an object of a type the plan does not know) abandons the
compiled completion of that root field's value, and graphql-core completes it again from the start, so that errors
and their propagation read exactly as the specification says.
"""

from __future__ import annotations

import asyncio
import inspect
import weakref
from base64 import b64encode
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLAbstractType,
    GraphQLEnumType,
    GraphQLError,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLResolveInfoHelpers,
    GraphQLScalarType,
    GraphQLSchema,
    InlineFragmentNode,
    SelectionSetNode,
    located_error,
)
from graphql.pyutils import Path
from strawberry import relay
from strawberry.permission import PermissionExtension
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types import Info

from hub.api.access import FieldRule
from hub.api.identity import MISSING, IdentityCache

DEFINITION = "strawberry-definition"  # where Strawberry keeps a GraphQL field's StrawberryField
PLAN_CACHE_SIZE = 2048


class Uncompilable(Exception):
    """The selection uses something the plans do not cover: graphql-core completes it."""


class Abandon(Exception):
    """Something unexpected at run time: graphql-core completes the value again, from the start."""


# What a field is, for the plan: how its value is obtained.
TYPENAME, ATTRIBUTE, SYNC, ASYNC, NODE_ID = range(5)
BATCH = "__hub_batch__"  # where `batched` keeps a resolver's form for many objects

Batch = Callable[[list[Any], Any], Awaitable[list[Any]]]


def batched(batch: Batch) -> Callable[[Callable], Callable]:
    """Give an async resolver `(self, info)` its form for many objects: `await batch(objects, info)` is the field's
    value for each object, in order, as the resolver would give it for each. A compiled completion calls it once
    for all the objects of a level where it would call the resolver once each (a coroutine, a task and a
    dataloader's future apiece: a fifth of a millisecond for a page of 50); graphql-core calls the resolver."""

    def mark(resolver: Callable) -> Callable:
        setattr(resolver, BATCH, batch)
        return resolver

    return mark


@dataclass(slots=True)
class FieldPlan:
    key: str  # the response key (alias or name)
    name: str
    nodes: list[FieldNode]
    kind: int
    attribute: str = ""
    call: Callable[[Any, Any], Any] | None = None
    rule: FieldRule | None = None
    strawberry_field: Any = None
    graphql_field: Any = None
    parent: GraphQLObjectType | None = None
    # value -> completed value; objects are completed later, in batches (see Run.object)
    complete: Callable[[Run, Any, Any], Any] | None = None
    # For an attribute of a scalar or enum type, the type's serializer (Run.fill serialises such fields inline)
    # and whether it may be null.
    serialize: Callable[[Any], Any] | None = None
    nullable: bool = True
    batch: Batch | None = None  # an async resolver's form for many objects (see `batched`)
    takes_info: bool = False  # whether `call` passes the resolver an Info (else none is built)
    origin: type | None = None  # NODE_ID: the Node class whose ids the plan writes itself


@dataclass(slots=True)
class ObjectPlan:
    type_name: str
    fields: list[FieldPlan] = field(default_factory=list)


class Compiler:
    """Plans for the selections of one schema, cached by the field nodes they complete (documents are cached by the
    parser cache, so the same query text brings the same nodes)."""

    def __init__(self, schema: GraphQLSchema) -> None:
        self.schema = schema
        # (first field node, return type name) -> the plan, or None where the plans do not cover the selection
        self.cache: IdentityCache[Any] = IdentityCache(PLAN_CACHE_SIZE)

    def plan(self, return_type: GraphQLOutputType, nodes: list[FieldNode], fragments: dict[str, Any]) -> Any:
        cached = self.cache.get((nodes[0],), str(return_type), MISSING)
        if cached is not MISSING:
            return cached
        try:
            completion = self.completion(return_type, nodes, fragments)
        except Uncompilable:
            completion = None
        return self.cache.put((nodes[0],), str(return_type), completion)

    def completion(self, type_: GraphQLOutputType, nodes: list[FieldNode], fragments: dict[str, Any]) -> Callable:
        """A function completing a value of `type_` selected by `nodes`."""
        if isinstance(type_, GraphQLNonNull):
            inner = self.completion(type_.of_type, nodes, fragments)

            def non_null(run: Run, value: Any, path: Any) -> Any:
                if value is None:
                    raise Abandon
                return inner(run, value, path)

            return non_null
        if isinstance(type_, GraphQLList):
            item = self.completion(type_.of_type, nodes, fragments)

            def listed(run: Run, value: Any, path: Any) -> Any:
                if value is None:
                    return None
                if isinstance(value, (str, bytes, dict)) or not hasattr(value, "__iter__"):
                    raise Abandon
                return [item(run, element, (path, index)) for index, element in enumerate(value)]

            return listed
        if isinstance(type_, GraphQLObjectType):
            plan = self.object_plan(type_, nodes, fragments)

            def one(run: Run, value: Any, path: Any) -> Any:
                if value is None:
                    return None
                return run.object(plan, value, path)

            return one
        if isinstance(type_, GraphQLAbstractType):
            plans = {
                possible.name: self.object_plan(possible, nodes, fragments)
                for possible in self.schema.get_possible_types(type_)
            }

            def abstract(run: Run, value: Any, path: Any) -> Any:
                if value is None:
                    return None
                definition = getattr(type(value), "__strawberry_definition__", None)
                plan = plans.get(getattr(definition, "name", None))
                if plan is None:
                    raise Abandon
                return run.object(plan, value, path)

            return abstract
        serialize = _serializer(type_)  # a scalar or an enum

        def leaf(run: Run, value: Any, path: Any) -> Any:
            return None if value is None else serialize(value)

        return leaf

    def object_plan(self, type_: GraphQLObjectType, nodes: list[FieldNode], fragments: dict[str, Any]) -> ObjectPlan:
        plan = ObjectPlan(type_.name)
        grouped: dict[str, list[FieldNode]] = {}
        for node in nodes:
            self.collect(type_, node.selection_set, fragments, grouped, frozenset())
        for key, field_nodes in grouped.items():
            plan.fields.append(self.field_plan(type_, key, field_nodes, fragments))
        return plan

    def collect(
        self,
        type_: GraphQLObjectType,
        selection_set: SelectionSetNode | None,
        fragments: dict[str, Any],
        grouped: dict[str, list[FieldNode]],
        seen: frozenset[str],
    ) -> None:
        for selection in selection_set.selections if selection_set else ():
            if selection.directives:
                raise Uncompilable  # @include/@skip depend on variables
            if isinstance(selection, FieldNode):
                key = selection.alias.value if selection.alias else selection.name.value
                grouped.setdefault(key, []).append(selection)
            elif isinstance(selection, InlineFragmentNode):
                if self.applies(selection.type_condition, type_):
                    self.collect(type_, selection.selection_set, fragments, grouped, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = fragments.get(name)
                definition = getattr(fragment, "definition", fragment)
                if definition is None or name in seen or definition.directives:
                    raise Uncompilable
                if self.applies(definition.type_condition, type_):
                    self.collect(type_, definition.selection_set, fragments, grouped, seen | {name})
            else:
                raise Uncompilable

    def applies(self, condition: Any, type_: GraphQLObjectType) -> bool:
        if condition is None:
            return True
        conditional = self.schema.get_type(condition.name.value)
        if conditional is type_:
            return True
        return isinstance(conditional, GraphQLAbstractType) and self.schema.is_sub_type(conditional, type_)

    def field_plan(
        self, parent: GraphQLObjectType, key: str, nodes: list[FieldNode], fragments: dict[str, Any]
    ) -> FieldPlan:
        name = nodes[0].name.value
        if name == "__typename":
            return FieldPlan(key, name, nodes, TYPENAME)
        if name.startswith("__") or any(node.arguments for node in nodes):
            raise Uncompilable
        graphql_field = parent.fields.get(name)
        strawberry_field = graphql_field.extensions.get(DEFINITION) if graphql_field else None
        if strawberry_field is None:
            raise Uncompilable
        plan = FieldPlan(
            key, name, nodes, ATTRIBUTE, strawberry_field=strawberry_field, graphql_field=graphql_field, parent=parent
        )
        plan.rule = _field_rule(strawberry_field)
        resolver = strawberry_field.base_resolver
        origin = _plain_node(parent, resolver)
        if origin is not None:
            plan.kind, plan.origin, plan.attribute = NODE_ID, origin, origin.resolve_id_attr()
        elif resolver is None:
            plan.attribute = strawberry_field.python_name
        else:
            plan.kind = ASYNC if resolver.is_async else SYNC
            plan.call = _caller(resolver)
            plan.takes_info = resolver.info_parameter is not None
            if plan.kind == ASYNC:
                plan.batch = getattr(resolver.wrapped_func, BATCH, None)
        plan.complete = self.completion(graphql_field.type, nodes, fragments)
        named = graphql_field.type.of_type if isinstance(graphql_field.type, GraphQLNonNull) else graphql_field.type
        if plan.kind == ATTRIBUTE and isinstance(named, (GraphQLScalarType, GraphQLEnumType)):
            plan.serialize = _serializer(named)
            plan.nullable = named is graphql_field.type
        return plan


_NODE_ID = relay.Node._id.__func__  # type: ignore[attr-defined]  # the id resolver, a classmethod of Node


def _plain_node(parent: GraphQLObjectType, resolver: Any) -> type | None:
    """The Node class of `parent` if this is its `id` field as Strawberry's relay gives it (the node's NodeID
    attribute under its GraphQL type's name, base64-encoded) with neither resolve_id nor resolve_typename of its
    own: the plan then writes the ids itself, a fifth of the cost of calling the resolver for each."""
    if resolver is None or getattr(resolver.wrapped_func, "__func__", None) is not _NODE_ID:
        return None
    definition = parent.extensions.get(DEFINITION)
    origin = getattr(definition, "origin", None)
    if not (isinstance(origin, type) and issubclass(origin, relay.Node)):
        return None
    if origin.resolve_id.__func__ is not relay.Node.resolve_id.__func__:  # type: ignore[attr-defined]
        return None
    if origin.resolve_typename.__func__ is not relay.Node.resolve_typename.__func__:  # type: ignore[attr-defined]
        return None
    return origin


def _serializer(type_: GraphQLScalarType | GraphQLEnumType) -> Callable[[Any], Any]:
    """The leaf type's serialiser. A Strawberry enum's looks its member's name up by comparing values one by one;
    for a member of the enum it wraps, the name is looked up in a table made once from those same comparisons
    (anything else still goes to the type's own)."""
    wrapped = getattr(type_, "wrapped_cls", None)
    if not isinstance(type_, GraphQLEnumType) or not isinstance(wrapped, type):
        return type_.serialize
    own = type_.serialize
    names: dict[Any, str] = {}
    for member in wrapped:  # type: ignore[var-annotated]
        for name, value in type_.values.items():
            if member.value == value.value:
                names[member] = name
                break

    def serialize(value: Any) -> Any:
        if type(value) is wrapped:
            name = names.get(value)
            if name is not None:
                return name
        return own(value)

    return serialize


def _field_rule(strawberry_field: Any) -> FieldRule | None:
    """The field's rule, if it has one; any other field extension is not something a plan can run."""
    rule = None
    for extension in strawberry_field.extensions:
        if not isinstance(extension, PermissionExtension) or extension.fail_silently:
            raise Uncompilable
        for permission in extension.permissions:
            if not isinstance(permission, FieldRule) or rule is not None:
                raise Uncompilable
            rule = permission
    return rule


def _caller(resolver: Any) -> Callable[[Any, Any], Any]:
    """Calls a resolver whose parameters are only the object (`self` or `root`) and perhaps `info`, as Strawberry
    would; a resolver with GraphQL arguments or anything else is Uncompilable."""
    if resolver.arguments or resolver.parent_parameter is not None:
        raise Uncompilable
    function = resolver.wrapped_func
    parameters = list(resolver.signature.parameters.values())
    if inspect.ismethod(function):  # a classmethod, bound: its first parameter is taken
        parameters = parameters[1:]
    roles = []
    for parameter in parameters:
        if parameter in (resolver.self_parameter, resolver.root_parameter):
            roles.append("source")
        elif parameter is resolver.info_parameter:
            roles.append("info")
        else:
            raise Uncompilable
    if any(p.kind not in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in parameters):
        raise Uncompilable
    callers: dict[tuple[str, ...], Callable[[Any, Any], Any]] = {
        ("source",): lambda source, info: function(source),
        ("source", "info"): lambda source, info: function(source, info),
        ("info",): lambda source, info: function(info),
        ("info", "source"): lambda source, info: function(info, source),
    }
    caller = callers.get(tuple(roles))
    if caller is None:
        raise Uncompilable
    return caller


class Run:
    """One compiled completion: objects wait in batches, one batch per plan, and are filled a level at a time."""

    __slots__ = ("errors", "executor", "info", "infos", "pending")

    def __init__(self, executor: CompiledExecutionContext, info: GraphQLResolveInfo) -> None:
        self.executor = executor
        self.info = info
        self.infos: dict[int, Info] = {}
        self.pending: dict[int, tuple[ObjectPlan, list[Any], list[dict[str, Any]], list[Any]]] = {}
        self.errors: list[tuple[GraphQLError, Path]] = []

    def object(self, plan: ObjectPlan, source: Any, path: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        batch = self.pending.get(id(plan))
        if batch is None:
            batch = self.pending[id(plan)] = (plan, [], [], [])
        batch[1].append(source)
        batch[2].append(out)
        batch[3].append(path)
        return out

    def strawberry_info(self, plan: FieldPlan) -> Info:
        """The Info a resolver of this field gets: built once per field for all its objects, so `info.path` names
        the field on its type (Strawberry's node ids read the type from it), not each object's list index."""
        info = self.infos.get(id(plan))
        if info is None:
            assert plan.parent is not None
            path = self.info.path.add_key(plan.key, plan.parent.name)
            raw = self.executor.build_resolve_info(plan.graphql_field, plan.nodes, plan.parent, path)
            info = self.infos[id(plan)] = Info(_raw_info=raw, _field=plan.strawberry_field)
        return info

    async def drain(self) -> None:
        """Fill every waiting object, level after level, until none is left."""
        while self.pending:
            batches, self.pending = list(self.pending.values()), {}
            # (field, its objects' outputs and paths, whether one awaitable gives the values of them all)
            waiting: list[tuple[FieldPlan, list[dict[str, Any]], list[Any], bool]] = []
            awaitables: list[Any] = []
            for plan, sources, outs, paths in batches:
                for field_plan in plan.fields:
                    self.fill(plan, field_plan, sources, outs, paths, waiting, awaitables)
            if awaitables:
                values = await asyncio.gather(*awaitables, return_exceptions=True)
                position = 0
                for field_plan, outs, paths, together in waiting:
                    if together:
                        given = values[position]
                        position += 1
                        if isinstance(given, BaseException):
                            raise Abandon from given
                        if not isinstance(given, list) or len(given) != len(outs):
                            raise Abandon  # a batch must give one value an object
                    else:
                        given = values[position : position + len(outs)]
                        position += len(outs)
                    complete, key = field_plan.complete, field_plan.key
                    for out, path, value in zip(outs, paths, given, strict=True):
                        if isinstance(value, BaseException):
                            raise Abandon from value
                        out[key] = complete(self, value, (path, key))

    def fill(
        self,
        plan: ObjectPlan,
        field_plan: FieldPlan,
        sources: list[Any],
        outs: list[dict[str, Any]],
        paths: list[Any],
        waiting: list,
        awaitables: list[Any],
    ) -> None:
        key, kind, complete, rule = field_plan.key, field_plan.kind, field_plan.complete, field_plan.rule
        if kind == TYPENAME:
            for out in outs:
                out[key] = plan.type_name
            return
        if rule is not None:
            sources, outs, paths = self.allowed(field_plan, rule, sources, outs, paths)
        if kind == ATTRIBUTE:
            attribute = field_plan.attribute
            serialize = field_plan.serialize
            if serialize is not None:  # a leaf: what `complete` does, without a call and a path for each value
                nullable = field_plan.nullable
                for source, out in zip(sources, outs, strict=True):
                    value = getattr(source, attribute)
                    if value is None:
                        if not nullable:
                            raise Abandon
                        out[key] = None
                    else:
                        out[key] = serialize(value)
                return
            for source, out, path in zip(sources, outs, paths, strict=True):
                out[key] = complete(self, getattr(source, attribute), (path, key))
            return
        if kind == NODE_ID:  # what Node's id resolver gives, serialised: base64 of "<type name>:<id>"
            prefix, origin = f"{plan.type_name}:", field_plan.origin
            for source, out in zip(sources, outs, strict=True):
                node_id = getattr(source, field_plan.attribute, None)
                if node_id is None or type(source) is not origin:
                    raise Abandon  # a subclass may resolve its ids otherwise: graphql-core asks it
                out[key] = b64encode(f"{prefix}{node_id}".encode()).decode()
            return
        call = field_plan.call
        assert call is not None
        info = self.strawberry_info(field_plan) if field_plan.takes_info or field_plan.batch is not None else None
        if kind == SYNC:
            for source, out, path in zip(sources, outs, paths, strict=True):
                try:
                    value = call(source, info)
                except Exception as error:
                    raise Abandon from error
                out[key] = complete(self, value, (path, key))
            return
        for out in outs:
            out[key] = None  # keeps the response's key order; filled when the awaitables are done
        if field_plan.batch is not None:
            awaitables.append(field_plan.batch(sources, info))
            waiting.append((field_plan, outs, paths, True))
            return
        awaitables.extend([call(source, info) for source in sources])
        waiting.append((field_plan, outs, paths, False))

    def allowed(
        self,
        field_plan: FieldPlan,
        rule: FieldRule,
        sources: list[Any],
        outs: list[dict[str, Any]],
        paths: list[Any],
    ) -> tuple[list[Any], list[dict[str, Any]], list[Any]]:
        """The objects whose field the rule lets the principal read; the others get null and a FORBIDDEN error,
        raised and located exactly as Strawberry's permission extension does."""
        allowed = rule.allows_each(self.info.context, sources)  # once each: it notes the reads
        if all(allowed):
            return sources, outs, paths
        kept: tuple[list[Any], list[dict[str, Any]], list[Any]] = ([], [], [])
        for source, out, path, may in zip(sources, outs, paths, allowed, strict=True):
            if may:
                kept[0].append(source)
                kept[1].append(out)
                kept[2].append(path)
                continue
            out[field_plan.key] = None
            try:
                rule.on_unauthorized()
            except GraphQLError as error:
                located = _path(self.info.path, (path, field_plan.key))
                self.errors.append((located_error(error, field_plan.nodes, located.as_list()), located))
        return kept


def _helpers_of(executor: CompiledExecutionContext) -> GraphQLResolveInfoHelpers:
    """graphql-core's helpers for resolvers (its gather_async_work and track_async_work), reaching the executor
    through a weak reference. Its own are the executor's bound methods, held by the executor: a cycle, which kept
    the request's context and all it read alive until the cycle collector found them. The executor lives as long
    as its resolvers can ask for them."""
    executor_ref = weakref.ref(executor)

    def gather(values: Sequence[Awaitable[Any]]) -> Awaitable[list[Any]]:
        return _alive(executor_ref).gather_async_work(values)

    def track(values: Sequence[Any]) -> None:
        _alive(executor_ref).track_async_work(values)

    return GraphQLResolveInfoHelpers(gather=gather, track=track)


def _alive(executor_ref: weakref.ref[CompiledExecutionContext]) -> CompiledExecutionContext:
    executor = executor_ref()
    if executor is None:
        raise RuntimeError("the execution these helpers belong to has ended")
    return executor


def _path(root: Path, chain: Any) -> Path:
    """A graphql-core Path from the run's nested (parent, key) pairs, which cost nothing until an error needs them."""
    keys = []
    while chain is not None:
        chain, key = chain
        keys.append(key)
    path = root
    for key in reversed(keys):
        path = path.add_key(key)
    return path


class CompiledExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """graphql-core's executor, with root fields' values completed by compiled plans where they apply."""

    compilers: dict[int, tuple[GraphQLSchema, Compiler]] = {}
    enabled = True  # tests turn it off to compare the two ways of completing
    # Root fields graphql-core completes again (fall_back): its completion of a non-null type calls complete_value
    # again with the same path, which must not try the plan a second time.
    fallen_back: frozenset[Path] = frozenset()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.async_helpers = _helpers_of(self)

    def complete_value(
        self,
        return_type: GraphQLOutputType,
        field_details_list: Any,
        info: GraphQLResolveInfo,
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        if (
            not self.enabled
            or path.prev is not None  # only a root field's value; what is below it is the plan's
            or path in self.fallen_back
            or result is None
            or isinstance(result, Exception)
            or (self.middleware_manager is not None and self.middleware_manager.middlewares)
            or self.is_awaitable(result)
        ):
            return super().complete_value(return_type, field_details_list, info, path, result, position_context)
        nodes = [details.node for details in field_details_list]
        completion = self.compiler().plan(return_type, nodes, self.fragments)
        if completion is None:
            return super().complete_value(return_type, field_details_list, info, path, result, position_context)
        return self.run_compiled(completion, return_type, field_details_list, info, path, result, position_context)

    def compiler(self) -> Compiler:
        entry = self.compilers.get(id(self.schema))
        if entry is None or entry[0] is not self.schema:
            entry = self.compilers[id(self.schema)] = (self.schema, Compiler(self.schema))
        return entry[1]

    async def run_compiled(
        self,
        completion: Callable,
        return_type: GraphQLOutputType,
        field_details_list: Any,
        info: GraphQLResolveInfo,
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        run = Run(self, info)
        try:
            data = completion(run, result, None)
            await run.drain()
        except Exception:  # Abandon, or anything a resolver or a serialiser raised: graphql-core says it properly
            return await self.fall_back(return_type, field_details_list, info, path, result, position_context)
        for error, error_path in run.errors:
            self.collected_errors.add(error, error_path)
        return data

    async def fall_back(
        self,
        return_type: GraphQLOutputType,
        field_details_list: Any,
        info: GraphQLResolveInfo,
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        """graphql-core completes the root field's value again, from the start (the plan's errors are dropped)."""
        self.fallen_back = self.fallen_back | {path}
        completed = super().complete_value(return_type, field_details_list, info, path, result, position_context)
        return await completed if self.is_awaitable(completed) else completed
