"""Input objects built from their GraphQL values by a converter made once per type.

Strawberry converts an argument's value by walking its type on every request: for each field of each input object it
resolves the field's annotation again and asks what kind of type it is. For submitReferral's input that is some
eighty steps, 60 µs by timeit against 10 µs for the converters here. `install` gives every input type of the schema
a `from_input` (Strawberry's hook for types that build their own value): the walk is done once, on first use, into a
converter for each field, and a request only runs those. What comes out is what Strawberry's own conversion gives
(tests/api/test_inputs.py compares them on every input type).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import MISSING
from typing import Any

import strawberry
from strawberry.relay.types import GlobalID
from strawberry.scalars import is_scalar
from strawberry.types.arguments import convert_argument
from strawberry.types.base import (
    StrawberryList,
    StrawberryMaybe,
    StrawberryObjectDefinition,
    StrawberryOptional,
    has_object_definition,
)
from strawberry.types.enum import StrawberryEnumDefinition, has_enum_definition
from strawberry.types.lazy_type import LazyType
from strawberry.types.unset import UNSET

Convert = Callable[[Any], Any]


def install(schema: strawberry.Schema) -> None:
    """Give each input type of the schema (that has no `from_input` of its own) a compiled builder."""
    for concrete in schema.schema_converter.type_map.values():
        definition = concrete.definition
        if isinstance(definition, StrawberryObjectDefinition) and definition.is_input:
            if definition.from_input is None and not _has_maybe(definition):
                definition.from_input = InputBuilder(definition, schema)


def _has_maybe(definition: StrawberryObjectDefinition) -> bool:
    # Strawberry checks the nulls of a Maybe field only for types without from_input: leave those to it.
    return any(isinstance(field.type, StrawberryMaybe) for field in definition.fields)


class InputBuilder:
    """`from_input` for one input type: its fields' converters, made on first use (when every type is known)."""

    def __init__(self, definition: StrawberryObjectDefinition, schema: strawberry.Schema) -> None:
        self.definition = definition
        self.schema = schema
        self.fields: list[tuple[str, str, Convert | None]] | None = None
        self.implicit: dict[str, None] = {}

    def __call__(self, cls: type, value: Mapping[str, Any], context: Any = None) -> Any:
        fields = self.fields if self.fields is not None else self._compile()
        given: dict[str, Any] = dict(self.implicit)
        for graphql_name, python_name, convert in fields:
            if graphql_name in value:
                item = value[graphql_name]
                given[python_name] = item if convert is None or item is None or item is UNSET else convert(item)
        return cls(**given)

    def _compile(self) -> list[tuple[str, str, Convert | None]]:
        definition, config = self.definition, self.schema.config
        # As Strawberry does: a field with no default is None unless given (graphql-core has checked the
        # required ones are).
        self.implicit = {
            field.python_name: None
            for field in definition.fields
            if field.default_value is MISSING and field.default_factory is MISSING
        }
        self.fields = [
            (
                config.name_converter.from_field(field),
                field.python_name,
                self._converter(field.resolve_type(type_definition=definition)),
            )
            for field in definition.fields
        ]
        return self.fields

    def _converter(self, type_: Any) -> Convert | None:
        """A function converting a value of `type_` that is neither None nor UNSET, as convert_argument would;
        None where that gives the value itself."""
        if isinstance(type_, LazyType):
            type_ = type_.resolve_type()
        if isinstance(type_, StrawberryMaybe):
            return _fallback(type_, self.schema)
        if isinstance(type_, StrawberryOptional):
            return self._converter(type_.of_type)
        if isinstance(type_, StrawberryList):
            item = self._converter(type_.of_type)
            if item is None:
                return list  # a copy: graphql-core gives every request that omits it the same default list
            return lambda items: [x if x is None or x is UNSET else item(x) for x in items]
        if type_ is GlobalID:
            return _fallback(type_, self.schema)  # with Strawberry's own wording of a malformed id
        registry = self.schema.schema_converter.scalar_registry
        if is_scalar(type_, registry) or isinstance(type_, StrawberryEnumDefinition) or has_enum_definition(type_):
            return None  # graphql-core has parsed it already
        if has_object_definition(type_):
            build = type_.__strawberry_definition__.from_input
            if isinstance(build, InputBuilder):
                return lambda value: build(type_, value)
        return _fallback(type_, self.schema)


def _fallback(type_: Any, schema: strawberry.Schema) -> Convert:
    registry, config = schema.schema_converter.scalar_registry, schema.config
    return lambda value: convert_argument(value, type_, registry, config)
