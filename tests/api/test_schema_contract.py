"""schema/hub.graphql is the public contract: it must be exactly what the code prints."""

from __future__ import annotations

from pathlib import Path

from hub.api.schema import print_sdl

CONTRACT = Path(__file__).resolve().parents[2] / "schema" / "hub.graphql"


def test_committed_sdl_matches_the_code():
    assert CONTRACT.read_text() == print_sdl(), "schema/hub.graphql is stale: run `hub export-schema`"


def test_every_type_and_field_is_described():
    from graphql import GraphQLObjectType

    schema = __import__("hub.api.schema", fromlist=["build_schema"]).build_schema()._schema
    missing = []
    for name, graphql_type in schema.type_map.items():
        if name.startswith("__") or not isinstance(graphql_type, GraphQLObjectType):
            continue
        if not graphql_type.description:
            missing.append(name)
        missing += [f"{name}.{f}" for f, field in graphql_type.fields.items() if not field.description]
    assert missing == []


def test_readme_prints_the_role_table():
    from hub.auth.scopes import role_table_markdown

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert role_table_markdown() in readme, "README's role table is stale: paste role_table_markdown()"
