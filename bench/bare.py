"""The bare side: a Starlette app whose routes run hand-written SQL through an asyncpg pool and answer with orjson.

It reads and writes the same rows as the hub's five benchmark operations, with none of the hub's layers (no
token, no GraphQL, no ORM, no permission or audit work), so the ratio hub/bare shows what those layers cost.
It imports nothing from `hub`, so its memory is its own. Run with uvicorn:
`BENCH_DATABASE_URL=... uvicorn bench.bare:create_app --factory`.
"""

from __future__ import annotations

import base64
import hashlib
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bench import BARE_APPLICATION_NAME

APPLICATION_NAME = BARE_APPLICATION_NAME
FORWARD = {
    "RECEIVED": {"ACCEPTED"},
    "ACCEPTED": {"ALLOCATED"},
    "ALLOCATED": {"CONTACT"},
    "CONTACT": {"ASSESSMENT"},
    "ASSESSMENT": {"PREPARATION"},
    "PREPARATION": {"RESTORATIVE_PROCESS"},
    "RESTORATIVE_PROCESS": {"AGREEMENT_MONITORING"},
}
PARTICIPANT_FIELDS = (
    "role",
    "fullName",
    "dateOfBirth",
    "phone",
    "email",
    "address",
    "preferredContact",
    "interpreterLanguage",
    "accessibility",
    "establishment",
    "prisonNumber",
)


try:
    import orjson

    SERIALISER = "orjson"

    def dumps(content: Any, *, sort_keys: bool = False) -> bytes:
        options = orjson.OPT_SORT_KEYS if sort_keys else 0
        return orjson.dumps(content, default=str, option=options)  # default: asyncpg's own UUID type

    loads = orjson.loads
except ImportError:  # without the bench extra: the standard library, and the report says so
    import json

    SERIALISER = "json (orjson is not installed)"

    def _plain(value: Any) -> str:
        return value.isoformat() if isinstance(value, date | datetime) else str(value)

    def dumps(content: Any, *, sort_keys: bool = False) -> bytes:
        return json.dumps(content, default=_plain, sort_keys=sort_keys, separators=(",", ":")).encode()

    loads = json.loads  # type: ignore[assignment]


class JSON(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return dumps(content)


def global_id(type_name: str, row_id: uuid.UUID) -> str:
    return base64.b64encode(f"{type_name}:{row_id}".encode()).decode()


def pool_of(request: Request) -> asyncpg.Pool:
    return request.app.state.pool


async def healthz(request: Request) -> Response:
    return JSON({"status": "ok"})


# --- (a) a partner's 50 newest referrals with their stage history ----------------------------------------------------

NEWEST = """
SELECT id, reference, agency_reference, stage, version, outcome, submitted_at, updated_at
FROM referral WHERE referring_agency_id = $1 ORDER BY submitted_at DESC, id DESC LIMIT $2
"""
HISTORIES = """
SELECT referral_id, from_stage, to_stage, at FROM stage_event
WHERE referral_id = ANY($1::uuid[]) ORDER BY referral_id, at, id
"""


async def newest_referrals(request: Request) -> Response:
    agency = uuid.UUID(request.query_params["agency"])
    first = min(int(request.query_params.get("first", "50")), 100)
    async with pool_of(request).acquire() as conn:
        rows = await conn.fetch(NEWEST, agency, first + 1)
        page = rows[:first]
        events = await conn.fetch(HISTORIES, [row["id"] for row in page])
    history: dict[uuid.UUID, list[dict]] = {}
    for event in events:
        history.setdefault(event["referral_id"], []).append(
            {"from": event["from_stage"], "to": event["to_stage"], "at": event["at"]}
        )
    edges = [
        {"node": {**dict(row), "id": global_id("Referral", row["id"]), "stageHistory": history.get(row["id"], [])}}
        for row in page
    ]
    end = (
        base64.b64encode(f"{page[-1]['submitted_at'].isoformat()}|{page[-1]['id']}".encode()).decode() if page else None
    )
    return JSON({"referrals": {"edges": edges, "pageInfo": {"hasNextPage": len(rows) > first, "endCursor": end}}})


# --- (b) one referral with everything a co-ordinator sees ------------------------------------------------------------

CASE = {
    "referral": "SELECT r.*, a.name AS agency_name, a.kind AS agency_kind FROM referral r "
    "JOIN agency a ON a.id = r.referring_agency_id WHERE r.id = $1",
    "participants": "SELECT * FROM participant WHERE referral_id = $1 ORDER BY position, id",
    "stageHistory": "SELECT from_stage, to_stage, at, note, coalesce(actor_name, actor_client_id) AS actor "
    "FROM stage_event WHERE referral_id = $1 ORDER BY at, id",
    "facilitators": "SELECT f.id, f.full_name, f.email, f.accreditation FROM allocation l "
    "JOIN facilitator f ON f.id = l.facilitator_id WHERE l.referral_id = $1 ORDER BY f.full_name, f.id",
    "contactAttempts": "SELECT participant_id, method, successful, attempted_at, recorded_by, note "
    "FROM contact_attempt WHERE referral_id = $1 ORDER BY attempted_at, id",
    "assessments": "SELECT participant_id, outcome, assessed_on, review_date, assessed_by, notes "
    "FROM assessment WHERE referral_id = $1 ORDER BY assessed_on, recorded_at, id",
    "sessions": "SELECT id, approach, scheduled_for, location, status, held_at, notes "
    "FROM restorative_session WHERE referral_id = $1 ORDER BY scheduled_for, id",
    "agreement": "SELECT g.agreed_on, g.notes AS agreement_notes, x.id, x.kind, x.description, x.owner_role, "
    "x.due_on, x.status, x.settled_at, x.note FROM outcome_agreement g "
    "LEFT JOIN agreement_action x ON x.agreement_id = g.id WHERE g.referral_id = $1 ORDER BY x.position, x.id",
    "feedback": "SELECT respondent, participant_id, satisfied, would_recommend, comments, received_at "
    "FROM feedback WHERE referral_id = $1 ORDER BY received_at, id",
}


async def one_referral(request: Request) -> Response:
    referral_id = uuid.UUID(request.path_params["referral_id"])
    async with pool_of(request).acquire() as conn:
        row = await conn.fetchrow(CASE["referral"], referral_id)
        if row is None:
            return JSON({"error": "NOT_FOUND"}, status_code=404)
        found = {name: await conn.fetch(sql, referral_id) for name, sql in CASE.items() if name != "referral"}
    case = {**dict(row), "id": global_id("Referral", row["id"])}
    for name, rows in found.items():
        case[name] = [dict(r) for r in rows]
    agreement = case.pop("agreement")
    case["agreement"] = (
        {
            "agreedOn": agreement[0]["agreed_on"],
            "notes": agreement[0]["agreement_notes"],
            "actions": [a for a in agreement if a["id"] is not None],
        }
        if agreement
        else None
    )
    return JSON({"node": case})


# --- (c) submitReferral ----------------------------------------------------------------------------------------------

INSERT_REFERRAL = """
INSERT INTO referral (id, reference, referring_agency_id, agency_reference, referrer_name, referrer_email,
  referrer_phone, district, incident_kind, offence_category, sensitivity, reported_to_police, responsibility_admitted,
  summary, stage, version, content_hash, submitted_at, updated_at)
VALUES ($1, (SELECT 'RJ-' || $2 || '-' || lpad(n::text, greatest(6, length(n::text)), '0')
          FROM (SELECT nextval('referral_reference_seq') AS n) AS next), $3, $4, $5, $6, $7, $8, $9,
  $10, $11, $12, $13, $14, 'RECEIVED', 1, $15, $16, $16)
ON CONFLICT (referring_agency_id, agency_reference) DO NOTHING
RETURNING id, reference, agency_reference, stage, version, submitted_at
"""
INSERT_PARTICIPANTS = """
INSERT INTO participant (id, referral_id, role, full_name, date_of_birth, phone, email, address, preferred_contact,
  interpreter_language, accessibility_needs, custody_establishment, prison_number, consent, position)
SELECT u.id, $1, u.role, u.full_name, u.date_of_birth, u.phone, u.email, u.address, u.preferred_contact,
  u.interpreter_language, u.accessibility_needs, u.custody_establishment, u.prison_number, 'PENDING', u.position
FROM unnest($2::uuid[], $3::text[], $4::text[], $5::date[], $6::text[], $7::text[], $8::text[], $9::text[],
  $10::text[], $11::text[], $12::text[], $13::text[], $14::int[])
  AS u(id, role, full_name, date_of_birth, phone, email, address, preferred_contact, interpreter_language,
       accessibility_needs, custody_establishment, prison_number, position)
"""
EXISTING = (
    "SELECT id, reference, agency_reference, stage, version, submitted_at, content_hash FROM referral "
    "WHERE referring_agency_id = $1 AND agency_reference = $2"
)
INSERT_EVENT = """
INSERT INTO stage_event (id, referral_id, from_stage, to_stage, at, actor_agency_id, actor_client_id)
VALUES ($1, $2, $3, $4, $5, $6, $7)
"""


def _flat(person: dict) -> dict:
    """A participant input with its nested contact, needs and custody objects flattened."""
    flat = dict(person)
    for key in ("contact", "needs", "custody"):
        flat.update(flat.pop(key, None) or {})
    return flat


def _participant_columns(people: list[dict]) -> list[list[Any]]:
    flat = [_flat(p) for p in people]
    columns: list[list[Any]] = [[uuid.uuid4() for _ in flat]]
    for name in PARTICIPANT_FIELDS:
        values = [p.get(name) for p in flat]
        columns.append([date.fromisoformat(v) if v else None for v in values] if name == "dateOfBirth" else values)
    columns.append(list(range(len(flat))))
    return columns


async def submit_referral(request: Request) -> Response:
    given = loads(await request.body())
    agency, form = uuid.UUID(given["agencyId"]), given["input"]
    roles = {p["role"] for p in form["participants"]}
    if not {"HARMED", "RESPONSIBLE"} <= roles or not form.get("agencyReference"):
        return JSON({"userErrors": [{"message": "a harmed and a responsible party are required"}]}, status_code=422)
    fingerprint = hashlib.sha256(dumps(form, sort_keys=True)).hexdigest()
    now = datetime.now(UTC)
    referrer = form["referrer"]
    async with pool_of(request).acquire() as conn, conn.transaction():
        row = await conn.fetchrow(
            INSERT_REFERRAL, uuid.uuid4(), str(now.year), agency, form["agencyReference"], referrer["name"],
            referrer.get("email"), referrer.get("phone"), form["district"], form["incidentKind"],
            form.get("offenceCategory"), form.get("sensitivity", []), form["reportedToPolice"],
            form["responsibilityAdmitted"], form["summary"], fingerprint, now,
        )  # fmt: skip
        if row is None:  # the same agency reference again: idempotent when the content is the same
            existing = await conn.fetchrow(EXISTING, agency, form["agencyReference"])
            if existing["content_hash"] != fingerprint:
                return JSON({"userErrors": [{"code": "DUPLICATE_AGENCY_REFERENCE"}]}, status_code=409)
            return JSON({"created": False, "referral": _referral_out(existing)})
        await conn.execute(INSERT_PARTICIPANTS, row["id"], *_participant_columns(form["participants"]))
        await conn.execute(INSERT_EVENT, uuid.uuid4(), row["id"], None, "RECEIVED", now, agency, APPLICATION_NAME)
    return JSON({"created": True, "referral": _referral_out(row), "userErrors": []})


def _referral_out(row: asyncpg.Record) -> dict:
    return {
        "id": global_id("Referral", row["id"]),
        "reference": row["reference"],
        "agencyReference": row["agency_reference"],
        "stage": row["stage"],
        "version": row["version"],
        "submittedAt": row["submitted_at"],
    }


# --- (d) advanceStage ------------------------------------------------------------------------------------------------

LOCK = "SELECT stage, version FROM referral WHERE id = $1 FOR UPDATE"
MOVE = (
    "UPDATE referral SET stage = $2, version = version + 1, updated_at = $3 WHERE id = $1 RETURNING id, stage, version"
)


async def advance_stage(request: Request) -> Response:
    given = loads(await request.body())
    referral_id, to = uuid.UUID(given["referralId"]), given["to"]
    now = datetime.now(UTC)
    async with pool_of(request).acquire() as conn, conn.transaction():
        current = await conn.fetchrow(LOCK, referral_id)
        if current is None:
            return JSON({"userErrors": [{"code": "NOT_FOUND"}]}, status_code=404)
        if current["version"] != given["version"]:
            return JSON({"userErrors": [{"code": "STALE_VERSION"}]}, status_code=409)
        if to not in FORWARD.get(current["stage"], ()):
            return JSON({"userErrors": [{"code": "ILLEGAL_TRANSITION"}]}, status_code=409)
        moved = await conn.fetchrow(MOVE, referral_id, to, now)
        await conn.execute(INSERT_EVENT, uuid.uuid4(), referral_id, current["stage"], to, now, None, APPLICATION_NAME)
    referral = {"id": global_id("Referral", moved["id"]), "stage": moved["stage"], "version": moved["version"]}
    return JSON({"referral": referral, "userErrors": []})


# --- (e) serviceStatistics for a period and the one before it --------------------------------------------------------

# The same counts the hub reads: the ones the database keeps per day (hub/stats/models.py).
TOTALS = """
SELECT
  (SELECT coalesce(sum(n), 0)::bigint FROM statistic_received WHERE day >= $1 AND day < $2) AS referrals_received,
  d.referrals_accepted,
  (SELECT coalesce(sum(n), 0)::bigint FROM statistic_declined WHERE day >= $1 AND day < $2) AS referrals_declined,
  d.harmed_parties_contacted,
  (SELECT coalesce(sum(n), 0)::bigint FROM statistic_closed WHERE day >= $1 AND day < $2) AS cases_closed,
  (SELECT coalesce(sum(n), 0)::bigint FROM statistic_closed WHERE day >= $1 AND day < $2
    AND outcome IN ('RESOLVED', 'PARTIALLY_RESOLVED')) AS positive_outcomes,
  f.*,
  (SELECT round(coalesce(sum(hours), 0), 2)::float8 FROM statistic_hours WHERE day >= $1 AND day < $2)
    AS volunteer_hours
FROM (
  SELECT coalesce(sum(n) FILTER (WHERE figure = 'ACCEPTED'), 0)::bigint AS referrals_accepted,
         coalesce(sum(n) FILTER (WHERE figure = 'CONTACTED'), 0)::bigint AS harmed_parties_contacted
  FROM statistic_first_day WHERE day >= $1 AND day < $2 AND previous < $1
) d, (
  SELECT round(sum(yes) FILTER (WHERE respondent = 'PARTICIPANT')
           / nullif(sum(answers) FILTER (WHERE respondent = 'PARTICIPANT'), 0), 4)::float8
           AS participant_satisfaction_rate,
         coalesce(sum(answers) FILTER (WHERE respondent = 'PARTICIPANT'), 0)::bigint AS participant_feedback_count,
         round(sum(yes) FILTER (WHERE respondent = 'REFERRER')
           / nullif(sum(answers) FILTER (WHERE respondent = 'REFERRER'), 0), 4)::float8
           AS referrer_recommendation_rate,
         coalesce(sum(answers) FILTER (WHERE respondent = 'REFERRER'), 0)::bigint AS referrer_feedback_count
  FROM statistic_feedback WHERE day >= $1 AND day < $2
) f
"""
BY_SOURCE = """
SELECT a.kind, a.id, a.name, r.district, sum(r.n)::bigint AS count
FROM statistic_received r JOIN agency a ON a.id = r.agency_id
WHERE r.day >= $1 AND r.day < $2
GROUP BY GROUPING SETS ((a.kind), (a.id, a.name), (r.district))
HAVING sum(r.n) > 0
ORDER BY count DESC, a.kind, a.name, r.district
"""
DECLINED = """
SELECT reason, sum(n)::bigint AS count FROM statistic_declined WHERE day >= $1 AND day < $2
GROUP BY reason HAVING sum(n) > 0 ORDER BY count DESC, reason
"""
OUTCOMES = """
SELECT outcome, sum(n)::bigint AS count FROM statistic_closed WHERE day >= $1 AND day < $2
GROUP BY outcome HAVING sum(n) > 0 ORDER BY count DESC, outcome
"""


async def _figures(conn: asyncpg.Connection, start: date, end: date) -> dict:
    figures = dict(await conn.fetchrow(TOTALS, start, end))
    sources = await conn.fetch(BY_SOURCE, start, end)
    figures["referralsBySource"] = [{"agencyKind": r["kind"], "count": r["count"]} for r in sources if r["kind"]]
    figures["referralsByAgency"] = [
        {"agency": {"id": global_id("Agency", r["id"]), "name": r["name"]}, "count": r["count"]}
        for r in sources
        if r["id"]
    ]
    figures["referralsByDistrict"] = [
        {"district": r["district"], "count": r["count"]} for r in sources if r["district"]
    ]
    figures["declinedByReason"] = [dict(r) for r in await conn.fetch(DECLINED, start, end)]
    figures["outcomes"] = [dict(r) for r in await conn.fetch(OUTCOMES, start, end)]
    return {"from": start, "to": end, **figures}


async def statistics(request: Request) -> Response:
    start, end = (date.fromisoformat(request.query_params[key]) for key in ("from", "to"))
    if start >= end:
        return JSON({"error": "`from` must be before `to`"}, status_code=400)
    before = start - timedelta(days=(end - start).days)
    async with pool_of(request).acquire() as conn:
        figures = await _figures(conn, start, end)
        figures["previousPeriod"] = await _figures(conn, before, start)
    return JSON({"serviceStatistics": figures})


# --- the app ---------------------------------------------------------------------------------------------------------


async def _leave_as_is(conn: asyncpg.Connection) -> None:
    """No reset when a connection goes back to the pool: the routes leave no session state behind, and asyncpg's
    default reset would run four statements (advisory unlock, CLOSE ALL, UNLISTEN, RESET ALL) per request."""


def create_app() -> Starlette:
    url = os.environ["BENCH_DATABASE_URL"]
    size = int(os.environ.get("BENCH_POOL_SIZE", "10"))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.pool = await asyncpg.create_pool(
            url,
            min_size=size,
            max_size=size,
            max_queries=10**9,
            reset=_leave_as_is,
            server_settings={"application_name": APPLICATION_NAME},
        )
        try:
            yield
        finally:
            await app.state.pool.close()

    routes = [
        Route("/healthz", healthz),
        Route("/bare/referrals", newest_referrals, methods=["GET"]),
        Route("/bare/referrals", submit_referral, methods=["POST"]),
        Route("/bare/referral/{referral_id}", one_referral, methods=["GET"]),
        Route("/bare/advance", advance_stage, methods=["POST"]),
        Route("/bare/statistics", statistics, methods=["GET"]),
    ]
    return Starlette(routes=routes, lifespan=lifespan)
