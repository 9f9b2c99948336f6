"""Statements compiled once and run straight on the session's asyncpg connection: the hot paths' fast lane.

`session.execute` costs some 0.5 ms of CPU a statement on this stack before PostgreSQL sees it: the ORM's
execution path, the compiled cache's key (walking the statement), the execution context, the greenlet switch, the
result's metadata and its row objects. The profile of one referral by id put three fifths of the request's CPU
there, against a twentieth in asyncpg itself. A `Prepared` statement does that work once, the first time it runs:
it compiles the Core statement with the session's own dialect, keeps the SQL (with its `$n` placeholders and
casts), the order of its parameters with their bind processors, and its columns with their result processors.
Each run then only converts the parameters, calls asyncpg (whose own cache holds the server-side prepared
statement), and builds one light row (a named tuple: attribute access by column name, like SQLAlchemy's rows)
per record.

It runs inside the session's transaction, on the connection the session holds, beginning the transaction first
if the session has not sent anything yet, exactly as SQLAlchemy's asyncpg adapter does, and under the adapter's
lock. So its reads see the session's unflushed-but-sent writes, its writes commit or roll back with the session,
and errors arrive as SQLAlchemy's own DBAPIError subclasses, as from `session.execute`. Pending ORM changes are
flushed first, as `session.execute` autoflushes.

The statement must be fixed: every value that changes is a named bindparam (a list is one ARRAY parameter, as in
`column == any_(:ids)`, not an expanding IN).

A statement made with `alone=True` is whole by itself: a plain read, or a write that needs nothing around it (the
rate limit's bucket). When the session's transaction has not begun on the connection yet, it runs as a statement
of its own, which PostgreSQL commits as it completes, sparing the round trips of BEGIN and of the COMMIT or
ROLLBACK (a query of reads only then sends no transaction control at all); the session's transaction begins
with its next statement that is not alone. Under READ COMMITTED, each statement of a transaction sees what was
committed when it began anyway, so a read sees the same either way. Not for a statement that locks (FOR UPDATE,
advisory locks) for the sake of statements after it: its lock would end with it. (A statement that does all its
work under its lock, as the audit chain's audit_append, may be alone: the lock then ends just when it should.)
"""

from __future__ import annotations

from collections import Counter, namedtuple
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.engine import Connection
from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.session import SessionTransactionState
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import BindParameter, CollectionAggregate, Grouping
from sqlalchemy.sql.visitors import replacement_traverse, traverse


async def _adapter(session: AsyncSession) -> tuple[Connection, Any]:
    """The session's connection (beginning the session's transaction in SQLAlchemy's terms) and the asyncpg
    adapter under it.

    Once the session's transaction holds its connection, it is taken from there, as `Session.connection()` itself
    first does, without the trip through a greenlet that `AsyncSession.connection()` takes (some 40 µs, several
    times a request). Otherwise (no transaction yet, or a savepoint that has not begun), the session acquires it."""
    sync = session.sync_session
    transaction = sync._transaction
    if transaction is not None and transaction._state is SessionTransactionState.ACTIVE:
        held = transaction._connections.get(sync.bind)
        if held is not None:
            connection = held[0]
            return connection, connection.connection.dbapi_connection
    connection = (await session.connection()).sync_connection
    assert connection is not None
    return connection, connection.connection.dbapi_connection


async def began(session: AsyncSession) -> bool:
    """Whether the session's connection has begun a transaction on the server: a statement `alone` would then
    run inside it (and end with it), not on its own."""
    _, adapted = await _adapter(session)
    return adapted._transaction is not None


def any_of(column: Any, name: str = "ids") -> sa.ColumnElement[bool]:
    """`column` equal to any element of the ARRAY parameter `name`: the fixed form of an IN over a list."""
    return column == sa.any_(sa.bindparam(name, type_=sa.ARRAY(column.type)))


class Prepared:
    """One fixed Core statement, compiled on first use; `rows` and `first` run it on a session."""

    __slots__ = ("_one_key", "_plan", "alone", "statement")

    def __init__(self, statement: sa.ClauseElement, *, alone: bool = False) -> None:
        self.statement = statement
        self.alone = alone
        self._plan: _Plan | None = None
        self._one_key: dict[frozenset[str], _Plan] = {}  # by the ANY parameters given one key (see _with_one_key)

    async def rows(self, session: AsyncSession, **parameters: Any) -> list[Any]:
        """Every row, as named tuples (`row.column_name`, `row[0]`, unpacking)."""
        return await self._run(session, parameters)

    async def first(self, session: AsyncSession, **parameters: Any) -> Any | None:
        rows = await self._run(session, parameters)
        return rows[0] if rows else None

    async def _run(self, session: AsyncSession, parameters: dict[str, Any]) -> list[Any]:
        if session.autoflush and (session.new or session.dirty or session.deleted):
            await session.flush()  # as session.execute would: the statement sees the session's changes
        connection, adapted = await _adapter(session)
        plan = self._plan or self._compile(connection.dialect)
        if plan.any_of:
            single = frozenset(name for name in plan.any_of if _one(parameters.get(name)))
            if single:
                plan = self._one_key.get(single) or self._with_one_key(connection.dialect, single)
                parameters = {**parameters, **{name: parameters[name][0] for name in single}}
        arguments = plan.arguments(parameters)
        if connection._has_events or connection.engine._has_events:
            # Listeners of the engine's before_cursor_execute see these statements too (the statement counts of
            # the tests, tracing); there is no cursor or execution context to give them.
            connection.dispatch.before_cursor_execute(connection, None, plan.sql, tuple(arguments), None, False)
        async with adapted._execute_mutex:  # the adapter's own lock: one statement at a time on the connection
            try:
                if adapted._transaction is None and not self.alone and adapted.isolation_level != "autocommit":
                    await adapted._start_transaction()  # the session's transaction, as its first statement would
                build = plan.build or await _described(adapted, plan)
                records = await adapted._connection.fetch(plan.sql, *arguments)
            except Exception as error:
                translated = _translated(error, adapted, plan.sql, connection.dialect)
                if translated is error:
                    raise
                raise translated from error
        return build(records)

    def _compile(self, dialect: Dialect) -> _Plan:
        self._plan = _Plan(self.statement, dialect)
        return self._plan

    def _with_one_key(self, dialect: Dialect, names: frozenset[str]) -> _Plan:
        """The statement with `= ANY(:keys)` written `= ANY(ARRAY[:key])` for the parameters named, run when each
        of them is given a single key (one case opened, where a page gives fifty).

        PostgreSQL plans a prepared statement afresh on every run while that plan, made knowing the values, looks
        cheaper than the one made without them; and without them it takes an ARRAY parameter to hold several
        keys, so a run with one key is planned every time (for a case's parts, 0.45 ms a run against 0.21 ms).
        Written as an ARRAY of one, the number of keys is in the statement itself, and after its first five runs
        PostgreSQL keeps one plan."""

        def one_key(element: Any) -> Any:
            bind = _any_of_keys(element)
            if bind is not None and bind.key in names:
                return sa.any_(postgresql.array([sa.bindparam(bind.key, type_=bind.type.item_type)]))
            return None

        plan = self._one_key[names] = _Plan(replacement_traverse(self.statement, {}, one_key), dialect)
        return plan


def _one(value: Any) -> bool:
    return isinstance(value, list | tuple) and len(value) == 1


# How code that builds a statement takes a value that varies: bind(name, value, type) gives what to write in its
# place. `literal` writes the value itself (a statement built and run once); Shapes' binder writes a named parameter
# and keeps the value, so that the statement can be prepared once for every value.
Bind = Callable[..., Any]


def literal(name: str, value: Any, type_: Any = None) -> Any:
    """The Bind of a statement built for one run: the value, as an anonymous bind parameter of the given type."""
    return sa.literal(value, type_)


class Shapes:
    """Statements that the same code builds from different values, prepared once per shape.

    `build(bind)` builds the statement, passing every value that varies through bind(name, value, type). Two
    statements are taken to be the same when their `shape` (what the code decided that no parameter shows: a kind
    of principal, an order, a direction) and the names bound, in order, are the same: code that adds a condition
    only when a value is given binds a name only then. Compiling the statement, and SQLAlchemy's work per execution,
    happen once per shape.

    Building the statement still runs each time, to give the values, unless the caller also gives `binds(bind)`:
    the same binds, in the same order, without building the statement (a read of one case built its whole SELECT
    each time, a tenth of a millisecond, to learn two values). Then `build` runs only for a shape not seen yet, and
    must bind exactly what `binds` did: a ValueError says where they differ."""

    def __init__(self, *, alone: bool = False, size: int = 256) -> None:
        self.alone = alone
        self.size = size
        self._prepared: dict[Hashable, Prepared] = {}

    def prepare(
        self,
        shape: Hashable,
        build: Callable[[Bind], sa.ClauseElement],
        binds: Callable[[Bind], object] | None = None,
    ) -> tuple[Prepared, dict[str, Any]]:
        given: dict[str, Any] | None = None
        if binds is not None:
            given = _bound(binds)
            prepared = self._prepared.get((shape, *given))
            if prepared is not None:
                return prepared, given
        values = _bound(build, keep=True)
        statement = values.pop(_STATEMENT)
        if given is not None and list(given) != list(values):
            raise ValueError(f"binds() bound {_named(given)} where build() bound {_named(values)}")
        if given is not None and given != values:  # the values themselves are not written out: they may be personal
            differing = [name for name in values if given[name] != values[name]]
            raise ValueError(f"binds() and build() bound different values to {_named(differing)}")
        key = (shape, *values)
        prepared = self._prepared.get(key)
        if prepared is None:
            if len(self._prepared) >= self.size:  # bounded: the oldest shape goes
                self._prepared.pop(next(iter(self._prepared)))
            prepared = self._prepared[key] = Prepared(statement, alone=self.alone)
        return prepared, values

    async def rows(
        self,
        session: AsyncSession,
        shape: Hashable,
        build: Callable[[Bind], sa.ClauseElement],
        binds: Callable[[Bind], object] | None = None,
    ) -> list[Any]:
        prepared, values = self.prepare(shape, build, binds)
        return await prepared.rows(session, **values)


_STATEMENT = object()  # where _bound keeps what the function returned


def _bound(function: Callable[[Bind], Any], *, keep: bool = False) -> dict[Any, Any]:
    """The values `function` binds, by name in order (and, with keep, what it returned, under _STATEMENT)."""
    values: dict[Any, Any] = {}

    def bind(name: str, value: Any, type_: Any = None) -> Any:
        if name in values:
            raise ValueError(f"the parameter {name!r} is bound twice")
        values[name] = value
        return sa.bindparam(name, type_=type_)

    returned = function(bind)
    if keep:
        values[_STATEMENT] = returned
    return values


def _named(values: Iterable[str]) -> str:
    return ", ".join(values) or "nothing"


class Inserts:
    """INSERTs into a table, prepared once for each set of columns given (the rows' keys, in order) and each number
    of rows: every column given is written, none is dropped."""

    def __init__(self, table: Any) -> None:
        self.table = table
        self._prepared: dict[tuple[tuple[str, ...], int], Prepared] = {}

    async def add(self, session: AsyncSession, row: dict[str, Any]) -> None:
        await self.add_all(session, [row])

    async def add_all(self, session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
        """The rows, all with the same columns, in one statement."""
        if not rows:
            return
        columns = tuple(rows[0])
        if any(tuple(row) != columns for row in rows):
            raise ValueError(f"rows for {self.table.name} must all give the same columns, in the same order")
        prepared = self._prepared.get((columns, len(rows)))
        if prepared is None:
            unknown = [name for name in columns if name not in self.table.c]
            if unknown:
                raise ValueError(f"not columns of {self.table.name}: {', '.join(unknown)}")
            values = [{name: sa.bindparam(f"{name}_{n}") for name in columns} for n in range(len(rows))]
            statement = sa.insert(self.table).values(values if len(rows) > 1 else values[0])
            prepared = self._prepared[(columns, len(rows))] = Prepared(statement)
        await prepared.rows(session, **{f"{name}_{n}": row[name] for n, row in enumerate(rows) for name in columns})


class Together:
    """Reads over keys that the same level of a query asks for at once, sent as one statement.

    Each part is a statement of rows belonging to keys: `parts[name](parameter)` builds it with its keys as the ARRAY
    parameter named `parameter` (`any_of(column, parameter)`) and its order. For the parts named in a run, the
    statement selects one row holding, per part, its rows as an array of records in the part's order (PostgreSQL's
    `array_agg(ROW(...) ORDER BY ...)`), prepared once for each set of names. Each part's records become rows as
    its own statement's would (named tuples, through SQLAlchemy's result processors), so one round trip answers
    what took one per part: a case's participants, history, sessions and the rest, where a dataloader each would
    each send its own."""

    def __init__(self, parts: dict[str, Callable[[str], sa.Select[Any]]], *, alone: bool = False) -> None:
        self.parts = parts
        self.alone = alone
        self._statements: dict[tuple[str, ...], Prepared] = {}
        self._rows: dict[str, Prepared] = {}  # each part alone: its columns' processors and row type

    async def rows(self, session: AsyncSession, keys: dict[str, Sequence[Any]]) -> dict[str, list[Any]]:
        """The rows of each part named in `keys`, for that part's keys."""
        names = tuple(sorted(keys))
        statement = self._statements.get(names)
        if statement is None:
            statement = self._statements[names] = Prepared(self._combined(names), alone=self.alone)
        (arrays,) = await statement.rows(session, **{_parameter(name): list(keys[name]) for name in names})
        found = {}
        for name, records in zip(names, arrays, strict=True):
            build = await self._builder(session, name)
            found[name] = build(records or ())
        return found

    def _combined(self, names: tuple[str, ...]) -> sa.Select[Any]:
        columns = []
        for name in names:
            part = self.parts[name](_parameter(name))
            record = sa.func.row(*part.selected_columns)
            order = part._order_by_clauses
            aggregate = sa.func.array_agg(aggregate_order_by(record, *order) if order else record)
            columns.append(part.with_only_columns(aggregate, maintain_column_froms=True).order_by(None).label(name))
        return sa.select(*columns)

    async def _builder(self, session: AsyncSession, name: str) -> Callable[[Sequence[Any]], list[Any]]:
        alone = self._rows.get(name)
        if alone is None:
            alone = self._rows[name] = Prepared(self.parts[name](_parameter(name)))
        plan = alone._plan
        if plan is not None and plan.build is not None:
            return plan.build
        connection, adapted = await _adapter(session)
        plan = plan or alone._compile(connection.dialect)
        async with adapted._execute_mutex:
            return await _described(adapted, plan)


async def _described(adapted: Any, plan: _Plan) -> Callable[[Sequence[Any]], list[Any]]:
    """The first run of a statement: the rows' maker, from the result's column types (for their processors), as
    PostgreSQL describes the statement. Called under the adapter's lock."""
    described = await adapted._connection.prepare(plan.sql)
    return plan.columns_are([attribute.type.oid for attribute in described.get_attributes()])


def _parameter(name: str) -> str:
    return f"{name}_keys"


class _Plan:
    """What compiling the statement once gives: SQL, parameters in order with their processors, the row type."""

    __slots__ = ("any_of", "binds", "build", "compiled", "defaults", "dialect", "names", "required", "sql")

    def __init__(self, statement: sa.ClauseElement, dialect: Dialect) -> None:
        compiled: Any = statement.compile(dialect=dialect)  # a SQLCompiler (positional parameters, binds)
        if compiled.positiontup is None:
            raise ValueError("a prepared statement needs the asyncpg dialect's numbered parameters")
        if any(bind.expanding for bind in compiled.binds.values()):
            raise ValueError("a prepared statement takes a list as one ARRAY parameter (= any_(...)), not IN")
        self.sql = compiled.string
        self.names: tuple[str, ...] = tuple(compiled.positiontup)
        self.defaults = compiled.construct_params(_check=False)  # the literal values written in the statement
        # Parameters without a value must be given; others are ignored, as by session.execute (a condition that is
        # always false can take a parameter's only use away).
        self.required = frozenset(bind.key for bind in compiled.binds.values() if bind.required)
        processors = compiled._bind_processors
        self.binds: tuple[Callable[[Any], Any] | None, ...] = tuple(processors.get(name) for name in self.names)
        self.compiled, self.dialect = compiled, dialect
        self.build: Callable[[Sequence[Any]], list[Any]] | None = None
        # The ARRAY parameters compared with `= ANY(...)` (Prepared._with_one_key).
        self.any_of = frozenset(_any_of_parameters(statement))

    def columns_are(self, type_codes: list[int]) -> Callable[[Sequence[Any]], list[Any]]:
        """Build the rows' maker, given the type codes (oids) of the result's columns (some result processors,
        a float's, depend on them as they do for session.execute)."""
        self.build = _row_builder(self.compiled, self.dialect, type_codes)
        return self.build

    def arguments(self, parameters: dict[str, Any]) -> list[Any]:
        missing = self.required - parameters.keys()
        if missing:
            raise TypeError(f"parameters missing: {', '.join(sorted(missing))}")
        values = {**self.defaults, **parameters}
        return [
            value if process is None or value is None else process(value)
            for value, process in zip((values[name] for name in self.names), self.binds, strict=True)
        ]


def _any_of_parameters(statement: sa.ClauseElement) -> set[str]:
    """The ARRAY parameters used only as `= ANY(:keys)` (one used elsewhere too keeps its ARRAY everywhere)."""
    in_any: Counter[str] = Counter()
    everywhere: Counter[str] = Counter()

    def unary(element: Any) -> None:
        bind = _any_of_keys(element)
        if bind is not None:
            in_any[bind.key] += 1

    def bindparam(element: BindParameter[Any]) -> None:
        everywhere[element.key] += 1

    traverse(statement, {}, {"unary": unary, "bindparam": bindparam})  # any_(...) is a unary expression
    return {key for key, count in in_any.items() if everywhere[key] == count}


def _any_of_keys(element: Any) -> BindParameter[Any] | None:
    """The ARRAY parameter of an `ANY(:keys)`, if the element is one."""
    if not isinstance(element, CollectionAggregate) or element.operator is not operators.any_op:
        return None
    inner = element.element
    while isinstance(inner, Grouping):
        inner = inner.element
    return inner if isinstance(inner, BindParameter) and isinstance(inner.type, sa.ARRAY) else None


def _row_builder(compiled: Any, dialect: Dialect, type_codes: list[int]) -> Callable[[Sequence[Any]], list[Any]]:
    """records -> rows: each column through the result processor SQLAlchemy would apply, into a named tuple.

    The maker is written out for the statement's columns (as namedtuple and dataclasses write theirs): one
    expression a row, `Row(r[0], process_1(r[1]), ...)`, with no loop over the columns. An enum's processor is
    its dictionary's lookup, which is what SQLAlchemy's does once its string processing is nothing (a value not
    in the enum raises KeyError, a LookupError as SQLAlchemy's own)."""
    columns = compiled._result_columns
    if not columns:
        return lambda records: []
    if len(type_codes) != len(columns):
        raise ValueError(f"the statement returns {len(type_codes)} columns where {len(columns)} were compiled")
    keys = [column.keyname for column in columns]
    if len(set(keys)) != len(keys):
        raise ValueError(f"a prepared statement's columns need distinct names: {keys}")
    row = namedtuple("Row", keys, rename=False)  # type: ignore[misc]  # the columns are known at run time only
    namespace: dict[str, Any] = {"new": tuple.__new__, "Row": row}
    values = []
    for index, (column, code) in enumerate(zip(columns, type_codes, strict=True)):
        process = _result_processor(column.type, dialect, code)
        if process is None:
            values.append(f"r[{index}]")
        else:
            namespace[f"p{index}"] = process
            values.append(f"p{index}(r[{index}])")
    source = f"def build(records):\n    return [new(Row, ({', '.join(values)},)) for r in records]\n"
    exec(source, namespace)  # noqa: S102  (the source is ours: column positions only, no value or name from outside)
    return namespace["build"]


def _result_processor(type_: Any, dialect: Dialect, code: int) -> Callable[[Any], Any] | None:
    impl = type_.dialect_impl(dialect)
    if isinstance(impl, sa.Enum) and sa.String.result_processor(impl, dialect, code) is None:
        return impl._object_lookup.__getitem__  # holds None -> None, as SQLAlchemy's lookup does
    return type_._cached_result_processor(dialect, code)


def _translated(error: Exception, adapted: Any, sql: str, dialect: Dialect) -> BaseException:
    """The error as session.execute would raise it: asyncpg's errors become SQLAlchemy's DBAPIError subclasses
    (OperationalError, IntegrityError, ...) with the driver's error as `orig`; anything else is left as it is.
    The parameters are never part of the message: they may be personal data, and messages reach logs."""
    try:
        adapted._handle_exception(error)  # raises the adapter's DBAPI-level translation
    except dialect.loaded_dbapi.Error as dbapi_error:
        base = dialect.loaded_dbapi.Error
        return sa_exc.DBAPIError.instance(sql, None, dbapi_error, base, hide_parameters=True, dialect=dialect)
    except BaseException as other:
        return other
    return error
