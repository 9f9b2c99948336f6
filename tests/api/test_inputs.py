"""Input objects' compiled builders (hub.api.inputs) give what Strawberry's own conversion gives, on every input
type of the schema: with every field given, with only the required ones, and with the optional ones null."""

from __future__ import annotations

import base64
from typing import Any

import pytest
import strawberry
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    coerce_input_value,
)
from strawberry import relay
from strawberry.relay.types import InvalidGlobalIDError
from strawberry.types.arguments import convert_argument

from hub.api import inputs
from hub.api.inputs import InputBuilder
from hub.api.schema import build_schema

SCHEMA = build_schema()
INPUTS = sorted(
    (name, concrete)
    for name, concrete in SCHEMA.schema_converter.type_map.items()
    if isinstance(concrete.implementation, GraphQLInputObjectType)
)
SCALARS = {
    "String": "some text",
    "Int": 3,
    "Float": 1.5,
    "Boolean": True,
    "ID": base64.b64encode(b"Referral:9f1c4a52-0000-4000-8000-000000000001").decode(),
    "Date": "2026-01-02",
    "DateTime": "2026-01-02T03:04:05+00:00",
    "JSON": {"any": ["value"]},
}


def sample(type_: Any, how: str) -> Any:
    """A raw (JSON) value of the GraphQL input type: `full` every field, `required` only the non-null ones,
    `nulls` the optional ones null."""
    if isinstance(type_, GraphQLNonNull):
        return sample(type_.of_type, how)
    if isinstance(type_, GraphQLList):
        return [sample(type_.of_type, how), sample(type_.of_type, how)]
    if isinstance(type_, GraphQLEnumType):
        return list(type_.values)[-1]
    if isinstance(type_, GraphQLScalarType):
        return SCALARS[type_.name]
    value = {}
    for name, field in type_.fields.items():
        required = isinstance(field.type, GraphQLNonNull)
        if required or how == "full":
            value[name] = sample(field.type, how)
        elif how == "nulls":
            value[name] = None
    return value


def strawberry_s_own(value: Any, cls: type) -> Any:
    """Strawberry's conversion with no type building its own value (every builder set aside meanwhile)."""
    builders = {concrete.definition: concrete.definition.from_input for _, concrete in INPUTS}
    try:
        for definition in builders:
            definition.from_input = None
        return convert(value, cls)
    finally:
        for definition, builder in builders.items():
            definition.from_input = builder


def convert(value: Any, cls: type) -> Any:
    return convert_argument(value, cls, SCHEMA.schema_converter.scalar_registry, SCHEMA.config)


def test_every_input_type_has_a_builder():
    assert INPUTS
    assert all(isinstance(concrete.definition.from_input, InputBuilder) for _, concrete in INPUTS)


@pytest.mark.parametrize("how", ["full", "required", "nulls"])
@pytest.mark.parametrize(("name", "concrete"), INPUTS, ids=[name for name, _ in INPUTS])
def test_a_builder_gives_what_strawberry_gives(name, concrete, how):
    coerced = coerce_input_value(sample(concrete.implementation, how), concrete.implementation)
    cls = concrete.definition.origin
    built = convert(coerced, cls)
    assert type(built) is cls
    assert built == strawberry_s_own(coerced, cls)
    assert repr(built) == repr(strawberry_s_own(coerced, cls))  # nested values' types too (an enum, a GlobalID)


def test_a_list_a_request_leaves_out_is_its_own_copy():
    """graphql-core gives every request that omits a list its one default: the builder copies it, as Strawberry
    does, so changing a request's list changes no other request's."""
    from hub.referrals.inputs import SubmitReferralInput

    implementation = SCHEMA.schema_converter.type_map["SubmitReferralInput"].implementation
    coerced = coerce_input_value(sample(implementation, "full"), implementation)
    built = convert(coerced, SubmitReferralInput)
    assert built.sensitivity == coerced["sensitivity"]
    assert built.sensitivity is not coerced["sensitivity"]


@strawberry.input
class Pick:
    one: relay.GlobalID
    many: list[relay.GlobalID] | None = None


@strawberry.type
class PickQuery:
    @strawberry.field
    def pick(self, given: Pick) -> int:
        return 0


def test_global_ids_are_decoded_as_strawberry_decodes_them():
    """No input of the hub's takes a relay GlobalID yet (ids are decoded where they are used, with the field's
    own error): a builder still decodes one as Strawberry does, malformed ones refused in its words."""
    schema = strawberry.Schema(query=PickQuery)
    inputs.install(schema)
    definition = Pick.__strawberry_definition__
    assert isinstance(definition.from_input, InputBuilder)
    one, other = (relay.GlobalID("Referral", str(n)) for n in (1, 2))
    registry, config = schema.schema_converter.scalar_registry, schema.config
    value = {"one": str(one), "many": [str(other), None]}
    built = convert_argument(value, Pick, registry, config)
    assert built == Pick(one=one, many=[other, None])
    assert isinstance(built.one, relay.GlobalID)
    with pytest.raises(InvalidGlobalIDError, match="cannot represent a GlobalID"):
        convert_argument({"one": "not base64"}, Pick, registry, config)
