"""Helpers for tests of the case's course: call a referral mutation over HTTP and read the payload."""

from __future__ import annotations

from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from tests.factories import graphql

CASE_FIELDS = "referral { id reference version stage outcome } userErrors { field message code }"


def mutation_text(name: str, fields: str = CASE_FIELDS) -> str:
    input_type = name[0].upper() + name[1:] + "Input"
    return f"mutation Change($input: {input_type}!) {{ {name}(input: $input) {{ {fields} }} }}"


async def change(http: httpx.AsyncClient, token: str, name: str, **input: Any) -> dict[str, Any]:
    """Call one referral mutation; the whole response (data and errors)."""
    return await graphql(http, token, mutation_text(name), {"input": input})


async def payload(http: httpx.AsyncClient, token: str, name: str, **input: Any) -> dict[str, Any]:
    """Call one referral mutation that must not fail at the protocol level; its payload."""
    result = await change(http, token, name, **input)
    assert "errors" not in result, result
    return dict(result["data"][name])


async def done(http: httpx.AsyncClient, token: str, name: str, **input: Any) -> dict[str, Any]:
    """Call one referral mutation that must succeed; the referral after it."""
    result = await payload(http, token, name, **input)
    assert result["userErrors"] == [], result["userErrors"]
    return dict(result["referral"])


def codes(result: dict[str, Any]) -> list[str]:
    return [error["code"] for error in result["userErrors"]]


TABLES = (
    "referral",
    "participant",
    "stage_event",
    "consent_record",
    "contact_attempt",
    "assessment",
    "restorative_session",
    "outcome_agreement",
    "agreement_action",
    "feedback",
    "allocation",
    "volunteer_hours",
)


async def snapshot(session: AsyncSession) -> dict[str, Any]:
    """Everything a refused change could have touched: row counts and every referral's stage and version."""
    counts = {table: (await session.execute(sa.text(f"SELECT count(*) FROM {table}"))).scalar_one() for table in TABLES}  # noqa: S608
    cases = (await session.execute(sa.text("SELECT id, stage, version, outcome FROM referral ORDER BY id"))).all()
    people = (await session.execute(sa.text("SELECT id, consent, withdrawn_at FROM participant ORDER BY id"))).all()
    return {"counts": counts, "cases": [tuple(c) for c in cases], "people": [tuple(p) for p in people]}
