"""hub.api.runner: the schema extensions' hooks, found once per class, run as Strawberry's own runner runs them."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Iterator
from unittest import mock

import pytest
from strawberry.extensions import SchemaExtension
from strawberry.extensions.runner import SchemaExtensionsRunner

from hub.api.runner import HubExtensionsRunner
from hub.api.schema import build_schema

STAGES = ("operation", "parsing", "validation", "executing")


class Events(list):
    pass


class GeneratorHooks(SchemaExtension):
    def __init__(self, events: Events) -> None:
        self.events = events

    def on_operation(self) -> Iterator[None]:
        self.events.append("sync operation: enter")
        try:
            yield
        except ValueError as error:
            self.events.append(f"sync operation: saw {error}")
            raise
        self.events.append("sync operation: exit")

    async def on_parse(self) -> AsyncIterator[None]:  # type: ignore[override]
        self.events.append("async parse: enter")
        yield
        self.events.append("async parse: exit")


class CallableHooks(SchemaExtension):
    def __init__(self, events: Events) -> None:
        self.events = events

    async def on_operation(self) -> None:  # type: ignore[override]
        self.events.append("awaited operation")

    def on_validate(self) -> None:  # type: ignore[override]
        self.events.append("called validate")


class Swallows(SchemaExtension):
    """An operation hook that ends the error it sees."""

    def __init__(self, events: Events) -> None:
        self.events = events

    def on_operation(self) -> Iterator[None]:
        try:
            yield
        except ValueError:
            self.events.append("swallowed")


async def _run(runner_class: type[SchemaExtensionsRunner], failing: str | None) -> list[str]:
    events = Events()
    extensions = [GeneratorHooks(events), CallableHooks(events), Swallows(events), GeneratorHooks(events)]
    runner = runner_class(execution_context=mock.Mock(), extensions=extensions)
    for stage in STAGES:
        try:
            async with getattr(runner, stage)():
                events.append(f"{stage}: body")
                if stage == failing:
                    raise ValueError(f"{stage} failed")
        except ValueError as error:
            events.append(f"raised {error}")
    return events


@pytest.mark.parametrize("failing", [None, *STAGES])
async def test_hooks_run_as_strawberrys_runner_runs_them(failing):
    ours = await _run(HubExtensionsRunner, failing)
    assert ours == await _run(SchemaExtensionsRunner, failing)
    assert "awaited operation" in ours and "called validate" in ours and "async parse: enter" in ours


async def test_a_hook_is_wrapped_once_per_class_not_per_request():
    await _run(HubExtensionsRunner, None)  # the classes' hooks are found and wrapped
    with mock.patch.object(functools, "update_wrapper", wraps=functools.update_wrapper) as wrapping:
        await _run(HubExtensionsRunner, None)
        assert wrapping.call_count == 0
        await _run(SchemaExtensionsRunner, None)
        assert wrapping.call_count > 0


def test_the_hubs_schema_uses_it():
    schema = build_schema()
    runner = schema.create_extensions_runner(mock.Mock(), schema.get_extensions())
    assert isinstance(runner, HubExtensionsRunner)
