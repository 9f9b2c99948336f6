"""New rows of a model's table written without the ORM's unit of work, as the unit of work would write them.

Making a SQLModel instance costs some 90 µs (pydantic inspects each default factory's signature on every
construction, and each column is set through an instrumented attribute), and flushing it runs the unit of work.
Where a change only creates rows (a submission: the referral, its participants, its first stage event), `NewRows`
makes each row as a named tuple with the model's defaults filled in as the model's own constructor fills them,
inserts the rows of one table in one prepared statement (hub.prepared.Inserts), and tells the change's audit
capture what it wrote, as a flush would have (hub.audit.capture.note_inserted). The tuples read like the model's
instances (`row.reference`), which is all the GraphQL types ask of a row.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Sequence
from typing import Any

from pydantic_core import PydanticUndefined
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel

from hub.audit.capture import note_inserted
from hub.prepared import Inserts


class NewRows:
    """Rows of `model`'s table: `make` one, `add` them (one statement per call)."""

    def __init__(self, model: type[SQLModel]) -> None:
        table: Any = model.__table__  # type: ignore[attr-defined]  # a table model
        self.kind = model.__name__
        self.columns = [column.key for column in table.columns]
        self.known = frozenset(self.columns)
        self.primary = [column.key for column in table.primary_key.columns]
        fields = model.model_fields
        missing = [name for name in self.columns if name not in fields]
        if missing:
            raise ValueError(f"{self.kind}: columns without a field of the same name: {', '.join(missing)}")
        # Each column's default as the model's constructor gives it: a value, a factory, or none (required).
        self.constants: dict[str, Any] = {}
        self.factories: dict[str, Callable[[], Any]] = {}
        for name in self.columns:
            field = fields[name]
            if field.default_factory is not None:
                self.factories[name] = field.default_factory  # type: ignore[assignment]  # takes no argument
            elif field.default is not PydanticUndefined:
                self.constants[name] = field.default
        self.row = namedtuple(f"New{self.kind}", self.columns)  # type: ignore[misc]
        self._inserts = Inserts(table)

    def make(self, **given: Any) -> Any:
        """A row with the values given and the model's defaults for the rest; every column without a default must
        be given."""
        unknown = given.keys() - self.known
        if unknown:
            raise TypeError(f"{self.kind} has no column {', '.join(sorted(unknown))}")
        values = dict(self.constants)
        for name, factory in self.factories.items():
            if name not in given:
                values[name] = factory()
        values.update(given)
        if len(values) < len(self.columns):
            raise TypeError(f"{self.kind} needs {', '.join(name for name in self.columns if name not in values)}")
        return self.row(**values)

    async def add(self, session: AsyncSession, rows: Sequence[Any]) -> None:
        """Insert the rows in the session's transaction, noting them in the change's audit capture."""
        written = [row._asdict() for row in rows]
        await self._inserts.add_all(session, written)
        note_inserted(session.sync_session, self.kind, self.primary, written)
