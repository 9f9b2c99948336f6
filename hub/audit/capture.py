"""What a change wrote, gathered from the session while it runs: record types, ids and column names, no values.

The unit of work's flushes give the rows added, changed and deleted; DML statements sent through the session
(e.g. a bulk delete) are seen before they run, and the rows they will touch are looked up by primary key first.
Rows written through hub.records are noted by it (note_inserted). SQL sent as plain text is not seen: services
write through the ORM, SQLAlchemy statements or hub.records.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapper, ORMExecuteState, Session, UOWTransaction
from sqlalchemy.orm.attributes import PASSIVE_NO_INITIALIZE, get_history

from hub.audit.models import AuditAction, AuditEntry, RecordChange
from hub.audit.service import record

INSERT, UPDATE, DELETE = RecordChange.INSERT, RecordChange.UPDATE, RecordChange.DELETE
WATCHING = "hub.audit.capture"  # the session's info key of the capture watching it
# Creating one of these brings a person's data into the hub, even when other records change with it.
PERSONAL_RECORDS = frozenset({"Referral", "Participant", "Facilitator"})


class ChangeCapture:
    """The records one change inserted, updated or deleted, merged per record over all of its flushes."""

    def __init__(self) -> None:
        self._touched: dict[tuple[str, str], tuple[RecordChange, set[str]]] = {}

    @contextmanager
    def watching(self, session: Session) -> Iterator[ChangeCapture]:
        """Listen to the session while the block runs."""
        sa.event.listen(session, "after_flush", self._after_flush)
        sa.event.listen(session, "do_orm_execute", self._before_statement)
        session.info[WATCHING] = self
        try:
            yield self
        finally:
            del session.info[WATCHING]
            sa.event.remove(session, "do_orm_execute", self._before_statement)
            sa.event.remove(session, "after_flush", self._after_flush)

    def action(self) -> AuditAction | None:
        """COLLECTION when the change only created records or created a person's; ERASURE when it only deleted;
        otherwise ALTERATION. None when it wrote nothing."""
        changes = {change for change, _ in self._touched.values()}
        if not changes:
            return None
        created = {kind for (kind, _), (change, _) in self._touched.items() if change == INSERT}
        if changes == {INSERT} or created & PERSONAL_RECORDS:
            return AuditAction.COLLECTION
        return AuditAction.ERASURE if changes == {DELETE} else AuditAction.ALTERATION

    def records(self) -> list[dict[str, Any]]:
        """The records touched, in a stable order, each with the change made and the columns it concerned."""
        return [
            record(kind, key, sorted(fields), change) for (kind, key), (change, fields) in sorted(self._touched.items())
        ]

    def note(self, kind: str, key: str, change: RecordChange, fields: set[str]) -> None:
        """Merge one write into what the change did to that record so far."""
        before = self._touched.get((kind, key))
        if before is None:
            self._touched[(kind, key)] = (change, fields)
        elif change == DELETE and before[0] == INSERT:
            del self._touched[(kind, key)]  # created and removed within the change: nothing of it remains
        elif change == DELETE:
            self._touched[(kind, key)] = (DELETE, set())
        else:
            merged = INSERT if before[0] == INSERT else UPDATE
            self._touched[(kind, key)] = (merged, before[1] | fields)

    def _after_flush(self, session: Session, flush_context: UOWTransaction) -> None:
        # After the flush, primary keys are set and the objects' history still shows what the flush wrote.
        for instance in session.new:
            self._note_instance(instance, INSERT)
        for instance in session.dirty:
            self._note_instance(instance, UPDATE)
        for instance in session.deleted:
            self._note_instance(instance, DELETE)

    def _note_instance(self, instance: Any, change: RecordChange) -> None:
        state = sa.inspect(instance)
        mapper: Mapper[Any] = state.mapper
        if mapper.class_ is AuditEntry:
            return
        columns = [attr.key for attr in mapper.column_attrs]
        if change == INSERT:
            fields = {key for key in columns if state.dict.get(key) is not None}  # loaded values only: no SQL
        elif change == UPDATE:
            # get_history, not state.attrs[key].history: the attrs collection's AttributeStates refer back to the
            # state, a cycle left to the cycle collector with the instance and everything it holds.
            fields = {key for key in columns if get_history(instance, key, PASSIVE_NO_INITIALIZE).has_changes()}
            if not fields:
                return  # touched but not changed
        else:
            fields = set()
        # A new row has no identity until the flush is finalised, but its primary key is set by now.
        key = state.identity or mapper.primary_key_from_instance(instance)
        self.note(mapper.class_.__name__, _key(key), change, fields)

    def _before_statement(self, state: ORMExecuteState) -> None:
        statement = state.statement
        if not isinstance(statement, sa.Insert | sa.Update | sa.Delete):
            return
        table: Any = statement.table
        if table.name == AuditEntry.__tablename__:
            return
        kind = state.bind_mapper.class_.__name__ if state.bind_mapper is not None else table.name
        change = INSERT if state.is_insert else UPDATE if state.is_update else DELETE
        primary = [column.key for column in table.primary_key.columns]
        set_columns = _set_columns(statement)
        for row in _rows(state, statement, primary):
            if all(name in row for name in primary):
                fields = set() if change == DELETE else set(row) - set(primary) | set_columns
                self.note(kind, _key(row[name] for name in primary), change, fields)


def note_inserted(session: Session, kind: str, primary: list[str], rows: list[dict[str, Any]]) -> None:
    """Rows inserted without the ORM (hub.records): noted by the capture watching the session, if one is, as a
    flush would note them (the columns with a value)."""
    capture: ChangeCapture | None = session.info.get(WATCHING)
    if capture is not None:
        for row in rows:
            fields = {name for name, value in row.items() if value is not None}
            capture.note(kind, _key(row[name] for name in primary), INSERT, fields)


def _key(values: Any) -> str:
    return "/".join(str(value) for value in values)


def _rows(state: ORMExecuteState, statement: Any, primary: list[str]) -> list[dict[str, Any]]:
    """The rows a DML statement writes, by column name: those given as parameters, or else (an UPDATE or DELETE
    with a WHERE clause) the primary keys of the rows it will touch, looked up just before it runs."""
    rows = _parameter_rows(state, statement)
    if isinstance(statement, sa.Insert) or (rows and all(name in row for row in rows for name in primary)):
        return rows
    lookup = sa.select(*statement.table.primary_key.columns)
    if statement.whereclause is not None:
        lookup = lookup.where(statement.whereclause)
    return [dict(zip(primary, row, strict=True)) for row in state.session.execute(lookup).all()]


def _parameter_rows(state: ORMExecuteState, statement: Any) -> list[dict[str, Any]]:
    """The rows given as parameters (an executemany), or an INSERT's own VALUES."""
    parameters: Any = state.parameters
    if isinstance(parameters, list):
        return [dict(row) for row in parameters]
    values = getattr(statement, "_values", None) or {}  # SQLAlchemy keeps .values(...) here
    row = {getattr(column, "key", column): getattr(value, "value", value) for column, value in values.items()}
    row |= dict(parameters or {})
    return [row] if row and isinstance(statement, sa.Insert) else []


def _set_columns(statement: Any) -> set[str]:
    """The columns an UPDATE statement sets (empty for anything else)."""
    if not isinstance(statement, sa.Update):
        return set()
    values = getattr(statement, "_values", None) or {}
    return {str(getattr(column, "key", column)) for column in values}
