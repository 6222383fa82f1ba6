"""The local instance's event log: Dagster's SQLite storage with its connections kept open.

Dagster's ``SqliteEventLogStorage`` builds a SQLAlchemy engine, opens a connection, commits
and disposes of it all again for every event it stores, and an asset event writes two
databases (the run's and the cross-run index). A nightly run stores about 1,400 events (the
planned and evaluated asset checks, the materialisations and outputs of ~140 assets): about
10 ms each that way, 14 s of a run that does 70 s of work (docs/benchmarks.md, item 12).
This subclass keeps one engine per database with a small pool of open connections, about
3 ms an event. Everything else, the files and their layout included, is Dagster's, so an
instance's history reads the same with either class.

Connections stay open between events, so the engines of the databases used last are kept
(the index and a few runs'; a long-lived webserver reads many runs) and the others disposed
of; a run's database is checkpointed at every commit, as closing the connection did, so that
the UI's file watcher sees each event. ``wipe`` deletes the runs' files: it closes this
process's connections first (a webserver running meanwhile keeps its own until it drops them).

``orchestration/dagster.yaml`` names ``KolInstance`` as the instance class: an instance with
no storage configured then gets ``PooledSqliteStorage`` (Dagster's SQLite storage, same
directories, with this event log) instead of Dagster's default, however it is loaded (from
``DAGSTER_HOME``, ``DagsterInstance.from_config(path)`` or a run worker's serialised ref). The
production instance (``dagster.prod.yaml``) stores events in PostgreSQL and does not use this.
"""
from __future__ import annotations

from collections import OrderedDict
from contextlib import contextmanager
from typing import Iterator

import sqlalchemy as db
import yaml
from dagster import DagsterInstance
from dagster._core.instance.ref import InstanceRef
from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    INDEX_SHARD_NAME, SQLITE_BUSY_TIMEOUT_SECONDS, SqliteEventLogStorage,
)
from dagster._core.storage.sqlite_storage import DagsterSqliteStorage, _event_logs_directory
from dagster._serdes import ConfigurableClassData
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import QueuePool

# The index and the runs being written or read: a run worker writes one run, the webserver
# reads a few at a time; a run whose engine was disposed of reconnects on its next event.
KEPT_ENGINES = 6


def _checkpoint_every_commit(dbapi_connection, _record) -> None:
    """A run's events reach the UI live through a file watcher on the run's ``.db`` file
    (``SqliteEventLogStorageWatchdog``). In WAL mode a commit writes the ``-wal`` file only; the
    ``.db`` changes at a checkpoint, which SQLite runs when the last connection closes (every
    event, with Dagster's class) or when the WAL reaches 1,000 pages. With connections kept
    open, a checkpoint after every commit keeps the UI's live run log live."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA wal_autocheckpoint=1")
    cursor.close()


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """``SqliteEventLogStorage`` that reuses its connections instead of opening one per event."""

    def __init__(self, base_dir: str, inst_data=None):
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        self._tables_seen: set[str] = set()
        super().__init__(base_dir, inst_data=inst_data)

    @classmethod
    def from_config_value(cls, inst_data, config_value):
        return cls(inst_data=inst_data, **config_value)  # Dagster's builds its own class

    def _engine(self, shard: str) -> Engine:
        """The shard's engine, kept among the most recently used ones (call with ``_db_lock`` held)."""
        engine = self._engines.pop(shard, None)
        if engine is None:
            engine = db.create_engine(
                self.conn_string_for_shard(shard),
                poolclass=QueuePool,
                pool_size=2,
                max_overflow=4,
                # Several threads of one process store events (a step's and the watcher's); the
                # storage's lock serialises them, so a pooled connection may change threads.
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
            )
            if shard != INDEX_SHARD_NAME:
                db.event.listen(engine, "connect", _checkpoint_every_commit)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
        self._engines[shard] = engine
        while len(self._engines) > KEPT_ENGINES:
            _, oldest = self._engines.popitem(last=False)
            oldest.dispose()
        return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock:
            engine = self._engine(shard)
            with engine.connect() as conn:
                with conn.begin():
                    yield conn

    def has_table(self, table_name: str) -> bool:
        # Asked before every asset check event, each time with an engine of its own. A table
        # that exists stays (migrations add tables, nothing here drops one): remember those.
        if table_name not in self._tables_seen and super().has_table(table_name):
            self._tables_seen.add(table_name)
        return table_name in self._tables_seen

    def _dispose_engines(self) -> None:
        with self._db_lock:
            while self._engines:
                self._engines.popitem()[1].dispose()

    def wipe(self) -> None:
        self._dispose_engines()  # the runs' files are deleted: no connection may outlive them
        super().wipe()

    def dispose(self) -> None:
        self._dispose_engines()
        super().dispose()


class PooledSqliteStorage(DagsterSqliteStorage):
    """Dagster's SQLite storage (runs, events, schedules under ``base_dir``) with the pooled event log."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None):
        super().__init__(base_dir, inst_data=inst_data)
        self._event_log_storage = PooledSqliteEventLogStorage(_event_logs_directory(base_dir))

    @classmethod
    def from_config_value(cls, inst_data, config_value):
        return cls.from_local(inst_data=inst_data, **config_value)


class KolInstance(DagsterInstance):
    """A Dagster instance whose default storage is ``PooledSqliteStorage`` in the instance's
    directory; an instance that configures its storage (PostgreSQL) keeps what it says."""

    @classmethod
    def config_schema(cls):
        return {}

    @staticmethod
    def config_defaults(base_dir: str):
        defaults = dict(InstanceRef.config_defaults(base_dir))
        defaults["storage"] = ConfigurableClassData(
            __name__, PooledSqliteStorage.__name__, yaml.dump({"base_dir": base_dir}, default_flow_style=False))
        return defaults
