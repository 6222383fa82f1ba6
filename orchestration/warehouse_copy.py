"""The published copy of the warehouse: one writer, many readers.

DuckDB lets one process write a database file, and a reader holding the file open (even
read-only) takes a lock that stops a writer from opening it. So analysts never open the
live warehouse: after each successful dbt run a copy is published beside it,

    <published>/warehouse.duckdb            every table of the warehouse (marts, dims, seeds)
    <published>/marts -> .versions/<v>      a symlink to the current Parquet version
    <published>/.versions/<v>/<mart>.parquet, _published.json

and each part is replaced atomically: the new copy is written under a temporary name in
the same directory, flushed to disk, then renamed over the old one (``os.replace``, one
rename(2)), and the ``marts`` symlink is swapped the same way. A reader who opens a path
gets the previous or the new complete state, never a half-written one; a reader who holds
the old file open keeps reading it (POSIX keeps an unlinked file's data until its last
handle closes) until it reopens. Nothing here ever opens a published file for writing, so a
reader's lock cannot block a publish. Old Parquet versions are removed only after a grace
period, for readers that resolved ``marts/`` before a swap and open its files later.

Plain Python and DuckDB (no Dagster): ``orchestration/publish.py`` calls it from the dbt
step, and ``python -m orchestration.publish`` by hand.
"""
from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Iterator, Mapping

from ingestion import settings

PUBLISHED_FILE = "warehouse.duckdb"
MARTS_LINK = "marts"
VERSIONS_DIR = ".versions"
INFO_TABLE = "_published"
INFO_FILE = "_published.json"
TMP_PREFIX = ".tmp-"
LOCK_FILE = ".lock"
VERSION_FORMAT = "%Y%m%dT%H%M%S%fZ"
DEFAULT_GRACE_S = 3600.0


def published_dir() -> Path:
    """``KOL_PUBLISHED_DIR``, by default ``$KOL_DATA_DIR/published``."""
    return Path(os.environ.get("KOL_PUBLISHED_DIR", settings.data_dir() / "published")).resolve()


def grace_seconds() -> float:
    """``KOL_PUBLISHED_GRACE_S``: how long a superseded Parquet version stays on disk."""
    return float(os.environ.get("KOL_PUBLISHED_GRACE_S", str(DEFAULT_GRACE_S)))


class PublishError(RuntimeError):
    """The copy could not be made; the previous published state is untouched."""


@dataclass(frozen=True)
class Published:
    version: str
    published_at: datetime
    directory: Path
    tables: Mapping[str, int]  # every table of the copy and its rows
    marts: tuple[str, ...]  # the tables also written as Parquet
    pruned: tuple[str, ...]  # Parquet versions removed by this publish
    seconds: float

    @property
    def duckdb_path(self) -> Path:
        return self.directory / PUBLISHED_FILE

    @property
    def marts_dir(self) -> Path:
        return self.directory / MARTS_LINK

    def parquet_path(self, mart: str) -> Path:
        return self.marts_dir / f"{mart}.parquet"


def publish(warehouse: Path, marts: Iterable[str], target: Path | None = None, *,
            note: Mapping[str, object] | None = None, grace_s: float | None = None,
            now: datetime | None = None) -> Published:
    """Copy ``warehouse`` to ``target`` (default ``published_dir()``) and write each of
    ``marts`` as Parquet, then swap both in. The caller makes sure no one writes the
    warehouse meanwhile (in Dagster, the ``duckdb_warehouse`` pool). ``note`` (the run,
    the window) is stored with the copy. On any failure before the swap the temporary
    files are removed and the previous published state stays as it was."""
    started = time.monotonic()
    warehouse = Path(warehouse).resolve()
    target = Path(target or published_dir()).resolve()
    grace_s = grace_seconds() if grace_s is None else grace_s
    now = now or datetime.now(timezone.utc)
    marts = tuple(dict.fromkeys(marts))
    if not warehouse.is_file():
        raise PublishError(f"no warehouse at {warehouse}: nothing to publish")
    versions = target / VERSIONS_DIR
    versions.mkdir(parents=True, exist_ok=True)
    link = target / MARTS_LINK
    if link.exists() and not link.is_symlink():
        raise PublishError(f"{link} is not a symlink: move it away, publishing swaps it as one")

    with _exclusive(target / LOCK_FILE):
        _remove_leftovers(target)
        version = f"{now.astimezone(timezone.utc).strftime(VERSION_FORMAT)}-{uuid.uuid4().hex[:6]}"
        tmp_db = target / f"{TMP_PREFIX}{version}.duckdb"
        tmp_version = versions / f"{TMP_PREFIX}{version}"
        info = {"version": version, "published_at": now.isoformat(), "warehouse": str(warehouse),
                **({"note": dict(note)} if note else {})}
        try:
            tables = _copy(warehouse, tmp_db, tmp_version, marts, info)
            _fsync(tmp_db)
            for path in tmp_version.iterdir():
                _fsync(path)
            _fsync(tmp_version)
            os.rename(tmp_version, versions / version)
            _fsync(versions)
        except BaseException as exc:
            _remove(tmp_db)
            _remove(tmp_version)
            if isinstance(exc, (PublishError, KeyboardInterrupt, SystemExit)):
                raise
            raise PublishError(f"publishing {warehouse} failed, the previous copy stays: {exc}") from exc

        # The swaps: each a single rename in its directory.
        os.replace(tmp_db, target / PUBLISHED_FILE)
        tmp_link = target / f"{TMP_PREFIX}{MARTS_LINK}-{version}"
        # Relative, so the published directory can be moved or mounted elsewhere whole.
        os.symlink(f"{VERSIONS_DIR}/{version}", tmp_link)
        os.replace(tmp_link, link)
        _fsync(target)
        pruned = prune_versions(target, grace_s=grace_s, now=now)
    return Published(version=version, published_at=now, directory=target, tables=tables, marts=marts,
                     pruned=tuple(pruned), seconds=round(time.monotonic() - started, 3))


def _copy(warehouse: Path, tmp_db: Path, tmp_version: Path, marts: tuple[str, ...], info: dict) -> dict[str, int]:
    """The copy itself, in DuckDB: ``COPY FROM DATABASE`` from the warehouse attached
    read-only. It reads through a DuckDB transaction, so it holds whatever the warehouse's
    WAL holds and needs no write access (a byte copy would need a CHECKPOINT first, which
    needs a read-write connection, and would also copy the file's free blocks, which grow
    with every delete+insert of the incremental marts); what it writes DuckDB itself laid
    out and checkpointed."""
    import duckdb

    tmp_version.mkdir()
    con = duckdb.connect()
    try:
        con.execute(f"attach {_literal(warehouse)} as src (read_only)")
        con.execute(f"attach {_literal(tmp_db)} as pub")
        con.execute("copy from database src to pub")
        # The staging and intermediate views read the lake when queried: in the copy they would
        # show the lake as it is now, not as of this publish, and break wherever the lake is not.
        for schema, view in con.execute("select schema_name, view_name from duckdb_views() "
                                        "where database_name = 'pub' and not internal").fetchall():
            con.execute(f"drop view pub.{_ident(schema)}.{_ident(view)}")
        located = {}
        for schema, table in con.execute("select schema_name, table_name from duckdb_tables() "
                                         "where database_name = 'pub' order by schema_name = 'main' desc").fetchall():
            located.setdefault(table, schema)
        missing = [m for m in marts if m not in located]
        if missing:
            raise PublishError(f"the warehouse has no table {', '.join(missing)}: nothing was published")
        tables = {t: con.execute(f"select count(*) from pub.{_ident(s)}.{_ident(t)}").fetchone()[0]
                  for t, s in sorted(located.items())}
        info = {**info, "tables": tables, "marts": list(marts)}
        con.execute(f"create table pub.main.{INFO_TABLE} as select ? as version, ?::timestamptz as published_at, "
                    "? as info", [info["version"], info["published_at"], json.dumps(info, default=str)])
        for mart in marts:
            con.execute(f"copy pub.{_ident(located[mart])}.{_ident(mart)} "
                        f"to {_literal(tmp_version / f'{mart}.parquet')} (format parquet, compression zstd)")
        (tmp_version / INFO_FILE).write_text(json.dumps(info, indent=2, default=str) + "\n")
        con.execute("checkpoint pub")
        con.execute("detach pub")
    finally:
        con.close()
    # A WAL left beside the copy would not follow it through the rename: its rows would be lost.
    if Path(f"{tmp_db}.wal").exists():
        raise PublishError(f"{tmp_db}.wal remained after the checkpoint")
    return tables


def prune_versions(target: Path, grace_s: float, now: datetime | None = None) -> list[str]:
    """Remove the Parquet versions superseded more than ``grace_s`` ago (a version is
    superseded when the next one is published); the current one always stays."""
    now = now or datetime.now(timezone.utc)
    versions = target / VERSIONS_DIR
    current = current_version(target)
    names = sorted(p.name for p in versions.iterdir() if p.is_dir() and not p.name.startswith(TMP_PREFIX)) \
        if versions.is_dir() else []
    pruned = []
    for name, successor in zip(names, names[1:]):
        if name == current:
            continue
        if (now - _version_time(successor)).total_seconds() >= grace_s:
            shutil.rmtree(versions / name, ignore_errors=True)
            pruned.append(name)
    return pruned


def current_version(target: Path | None = None) -> str | None:
    """The version the ``marts`` symlink points to, if any."""
    link = Path(target or published_dir()) / MARTS_LINK
    return Path(os.readlink(link)).name if link.is_symlink() else None


def _version_time(name: str) -> datetime:
    return datetime.strptime(name.split("-", 1)[0], VERSION_FORMAT).replace(tzinfo=timezone.utc)


def _remove_leftovers(target: Path) -> None:
    """Temporary files of a publish that died half-way. Called under the lock, so no
    publish is writing them."""
    for folder in (target, target / VERSIONS_DIR):
        for path in folder.glob(f"{TMP_PREFIX}*"):
            _remove(path)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        for p in (path, Path(f"{path}.wal")):
            p.unlink(missing_ok=True)


@contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    """One publish at a time, whoever starts it (a Dagster run, or the command line)."""
    with open(lock_path, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _literal(value: object) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
