"""Engine and request-scoped session; SQLite pragmas; the guard that keeps append-only records append-only."""

from __future__ import annotations

import logging
from operator import itemgetter
from pathlib import Path
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy import Column, Integer, MetaData, Table, create_engine, event, func, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from models import AppendOnly

log = logging.getLogger(__name__)


class AppendOnlyViolation(RuntimeError):
    """Raised when code tries to update or delete a clinical, billing or audit record in place."""


def make_engine(url: str) -> Engine:
    """An engine for `url`; nothing connects until the first query (so `flask --help` touches no database)."""
    kwargs: dict[str, Any] = {}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"timeout": 15}  # busy timeout, seconds
    else:
        kwargs.update(pool_pre_ping=True, pool_size=5, max_overflow=5)
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "do_connect", _sqlite_folder_maker(engine.url))
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_folder_maker(url):
    """Create the folder of an SQLite file on first connect: the embedded default needs no set-up."""

    def make(_dialect, _record, _cargs, _cparams) -> None:
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)

    return make


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.close()


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    factory = sessionmaker(engine, expire_on_commit=False)
    event.listen(factory, "before_flush", _refuse_append_only_changes)
    return factory


def _refuse_append_only_changes(session: Session, _flush_context, _instances) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AppendOnly) and (obj in session.deleted or session.is_modified(obj)):
            raise AppendOnlyViolation(f"{type(obj).__name__} is append-only; record a correction instead")


def insert(session: Session, table):
    """INSERT for `table` in the dialect of `session`'s engine, for ON CONFLICT clauses.

    Both engines have INSERT ... ON CONFLICT, but SQLAlchemy gives it a constructor per dialect.
    """
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    return dialect_insert(table)


def insert_new(session: Session, table, rows: list[dict], key: str, page_size: int = 1000,
               conflict_columns: list[str] | None = None, bulk: bool = False) -> set:
    """Insert the rows whose unique `key` is not stored yet, in one executemany; returns the keys this call added.

    INSERT ... ON CONFLICT (key) DO NOTHING RETURNING key: a row that exists already, or that a concurrent
    transaction is writing, is left to it. `conflict_columns` names another unique constraint to judge by (the
    rows' natural key) while `key` is what is returned. SQLAlchemy sends the rows `page_size` at a time.

    `bulk` (thousands of rows, e.g. a batch of claim lines): on PostgreSQL the rows are COPied into a temporary
    table and inserted from it by one INSERT ... SELECT with the same ON CONFLICT, in their order; sending them
    as parameters cost most of a backfill's time. SQLite, in process, takes them as above.
    """
    if not rows:
        return set()
    statement = insert(session, table).on_conflict_do_nothing(index_elements=conflict_columns or [key])
    if bulk and session.get_bind().dialect.name == "postgresql":
        return _insert_new_copied(session, table, rows, key, statement)
    statement = statement.returning(table.c[key])
    return set(session.scalars(statement.execution_options(insertmanyvalues_page_size=page_size), rows))


def _insert_new_copied(session: Session, table, rows: list[dict], key: str, statement) -> set:
    columns = list(rows[0])
    staged = Table(f"new_{table.name}", MetaData(), Column("n", Integer),
                   *(Column(name, table.c[name].type) for name in columns), prefixes=["TEMPORARY"])
    connection = session.connection()
    dialect = connection.dialect
    # Values as the driver takes them for these column types (JSON, UTC timestamps): COPY adapts the same.
    processors = [table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in columns]
    values_of = itemgetter(*columns) if len(columns) > 1 else lambda row: (row[columns[0]],)
    names = ", ".join(dialect.identifier_preparer.quote(name) for name in ["n", *columns])
    # One per transaction: dropped at commit, and dropped here if an earlier call of this transaction left one.
    connection.execute(text(f'DROP TABLE IF EXISTS pg_temp."{staged.name}"'))
    connection.execute(text(f'CREATE TEMPORARY TABLE "{staged.name}" ON COMMIT DROP AS '
                            f'SELECT 0 AS n, {", ".join(dialect.identifier_preparer.quote(c) for c in columns)} '
                            f'FROM {dialect.identifier_preparer.format_table(table)} WITH NO DATA'))
    # Only a few columns need adapting: each row's values are taken at once and those few changed in place.
    adapted = [(position, process) for position, process in enumerate(processors, start=1) if process is not None]
    cursor = connection.connection.driver_connection.cursor()
    with cursor.copy(f'COPY "{staged.name}" ({names}) FROM STDIN') as copy:
        for n, row in enumerate(rows):
            values = [n, *values_of(row)]
            for position, process in adapted:
                values[position] = process(values[position])
            copy.write_row(values)
    source = select(*(staged.c[name] for name in columns)).order_by(staged.c.n)
    return set(connection.scalars(statement.from_select(columns, source).returning(table.c[key])))


def json_list_of_ids(session: Session, column, where, order_by) -> Any:
    """The ids in `column` (a UUID column) of the rows `where` selects, in `order_by` order, as the value of a JSON
    column: a list of their text. On PostgreSQL the database gathers them as the row is written (a run's millions
    of line ids never pass through Python); SQLite's are read here."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import aggregate_order_by
        return (select(func.coalesce(func.json_agg(aggregate_order_by(column, order_by)), text("'[]'::json")))
                .where(where).scalar_subquery())
    return [str(value) for value in session.scalars(select(column).where(where).order_by(order_by))]


def analyze(session: Session, table) -> None:
    """Refresh PostgreSQL's planner statistics of `table` (SQLite here plans by its indexes alone). For a job that
    grows a table many times over in one run, where autovacuum (off, or behind) would leave the planner reading
    it by a full scan per batch as if it were still small."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"ANALYZE {session.get_bind().dialect.identifier_preparer.format_table(table)}"))


def init_app(app: Flask) -> None:
    engine = make_engine(app.extensions["settings"].database_url)
    app.extensions["db_engine"] = engine
    app.extensions["db_sessionmaker"] = make_sessionmaker(engine)
    app.teardown_appcontext(_close_session)


def session() -> Session:
    """The session of the current request (or app context), opened on first use."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["db_sessionmaker"]()
    return g.db_session


def _close_session(_exc: BaseException | None) -> None:
    db_session = g.pop("db_session", None)
    if db_session is None:
        return
    try:
        db_session.close()  # rolls back anything not committed
    except Exception as exc:
        # The answer is already made: a connection that died after the last commit can only fail the ROLLBACK
        # of nothing. Flask does not route teardown errors to the error handlers, so one raised here would
        # reach the client as the server's own HTML 500; the pool discards the broken connection instead.
        log.warning("closing the request's database session failed: %s", type(exc).__name__)


def check_connection() -> None:
    """A round trip to the database, or a 503 problem: "not healthy" is an answer, not a 500."""
    from service.errors import Problem

    try:
        session().execute(text("SELECT 1"))
    except Exception as exc:
        raise Problem(503, "Service Unavailable", "The database is unreachable.", kind="unavailable") from exc
