"""Normalise raw records into contract tables and land them in the lake.

Layout, one slice per (platform, entity, day):

    <lake>/raw/<platform>/<entity>/dt=YYYY-MM-DD/data.parquet       the landed rows
    <lake>/raw/<platform>/<entity>/dt=YYYY-MM-DD/_manifest.json     the slice's accounting
    <lake>/quarantine/<platform>/<entity>/dt=YYYY-MM-DD/records.jsonl  what could not be parsed, with why

A re-run of a slice replaces it: every file is written beside its target under a
temporary name and moved into place with ``os.replace``, which is atomic on
POSIX, so a reader of ``data.parquet`` sees the old rows or the new ones, never
half of a file, and a retried run can never append a duplicate. The manifest is
replaced after the data it describes. Every landed file carries ``_loaded_at``, the
moment its slice was landed (UTC, one value for the whole file): the lake's own record of
when the nightly pull ran, which dbt's source freshness reads. Two runs of the same
platform-day must not land at once: the orchestrator's per-platform pool allows one at a time.
"""
from __future__ import annotations

import fcntl
import json
import os
import uuid
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, Iterable, Iterator

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ingestion.contract import LOADED_AT_COLUMN, LOADED_AT_FIELD
from ingestion.platforms.base import RawRecord
from ingestion.plausibility import check_row
from ingestion.privacy import protect, scrub
from ingestion.schemas import (
    ENTITIES, EXTRAS_COLUMN, NATURAL_KEYS, PLATFORMS, SCHEMA_VERSION, base_schema, normalised_schema,
)

# Entities whose payloads are about followers and commenters rather than the KOLs themselves.
PERSONAL_ENTITIES = frozenset({"comments", "audience"})


class AccountingError(RuntimeError):
    """A slice's counts do not add up: something would be lost silently."""


@dataclass
class SliceReport:
    platform: str
    entity: str
    day: str
    fetched: int
    landed: int
    quarantined: int
    duplicates: int
    path: str
    schema_version: str = SCHEMA_VERSION

    @property
    def balanced(self) -> bool:
        return self.fetched == self.landed + self.quarantined + self.duplicates


def slice_dir(lake: Path, zone: str, platform: str, entity: str, day: date) -> Path:
    # Names come from fixed vocabularies, never from input, so no path can escape the lake.
    if platform not in PLATFORMS or entity not in ENTITIES or not isinstance(day, date):
        raise ValueError(f"refusing slice path for platform={platform!r} entity={entity!r} day={day!r}")
    return lake / zone / platform / entity / f"dt={day.isoformat()}"


@dataclass
class Normalised:
    """A slice after normalisation: what lands, what is quarantined, how many repeats were
    dropped, and which fields the contract does not know yet (kept in ``_extras``)."""

    table: pa.Table
    quarantined: list[dict]
    duplicates: int
    new_fields: dict[str, int]

    def __iter__(self):  # table, quarantined, duplicates = normalize(...)
        return iter((self.table, self.quarantined, self.duplicates))


def normalize(platform: str, entity: str, records: list[RawRecord], normalizer: Callable[[dict, dict], dict],
              known_fields: frozenset[str] | None = None, keep: frozenset[str] = frozenset()) -> Normalised:
    """Rows that parse become a contract table, deduplicated on the natural key (last one
    wins); the others are returned for quarantine with the reason. Payload fields outside
    ``known_fields`` are kept as JSON in ``_extras`` and counted. Follower and commenter ids
    and handles are pseudonymised (``ingestion/privacy.py``) unless they are in ``keep``, the
    tracked KOLs' own ids and handles, in the table and in quarantined payloads alike."""
    schema = base_schema(platform, entity)
    key = NATURAL_KEYS[platform][entity]
    rows: dict[tuple, tuple[dict, RawRecord]] = {}
    quarantined: list[dict] = []
    new_fields: dict[str, int] = {}
    personal = entity in PERSONAL_ENTITIES

    def quarantine(rec: RawRecord, reason: str) -> None:
        payload = scrub(rec.payload, platform, keep) if personal else rec.payload
        quarantined.append({"reason": reason, "platform": platform, "entity": entity,
                            "context": rec.context, "payload": payload})

    now = datetime.now(timezone.utc)
    for rec in records:
        try:
            row = normalizer(rec.payload, rec.context)
            k = tuple(row[c] for c in key)
            if any(v is None for v in k):
                raise ValueError(f"natural key {key} is incomplete: {k}")
            check_row(row, now)  # a time decades away or a field the size of a file
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            quarantine(rec, f"missing field {exc}" if isinstance(exc, KeyError) else f"{type(exc).__name__}: {exc}")
            continue
        if known_fields is not None and isinstance(rec.payload, dict):
            extra = {f: v for f, v in rec.payload.items() if f not in known_fields}
            for f in extra:
                new_fields[f] = new_fields.get(f, 0) + 1
            row[EXTRAS_COLUMN] = json.dumps(extra, ensure_ascii=False, sort_keys=True, default=str) if extra else None
        rows[k] = (row, rec)
    ordered = [rows[k] for k in sorted(rows, key=lambda t: tuple(str(v) for v in t))]
    schema = schema.append(pa.field(EXTRAS_COLUMN, pa.string()))
    try:
        table = pa.Table.from_pylist([row for row, _ in ordered], schema=schema)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        # One value of the wrong type fails the whole conversion: find the rows at fault.
        good = []
        for row, rec in ordered:
            try:
                pa.Table.from_pylist([row], schema=schema)
                good.append(row)
            except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError) as exc:
                quarantine(rec, f"{type(exc).__name__}: {exc}")
        table = pa.Table.from_pylist(good, schema=schema)
    duplicates = len(records) - len(quarantined) - table.num_rows
    table = protect(table, platform, keep).select(normalised_schema(platform, entity).names)
    return Normalised(table.cast(normalised_schema(platform, entity)), quarantined, duplicates, new_fields)


def normalize_batches(platform: str, entity: str, batches: Iterable[list[RawRecord]],
                      normalizer: Callable[[dict, dict], dict], known_fields: frozenset[str] | None = None,
                      keep: frozenset[str] = frozenset()) -> Normalised:
    """``normalize`` over a slice that arrives batch by batch (a ``RecordSpool``): each batch
    becomes a contract table, and the tables are joined with the same rules across batches,
    the last row of a natural key winning and rows ordered by their key. Only one batch of
    raw records is in memory at a time; the joined table is columnar."""
    parts, quarantined, duplicates, new_fields = [], [], 0, {}
    for batch in batches:
        part = normalize(platform, entity, batch, normalizer, known_fields=known_fields, keep=keep)
        parts.append(part.table)
        quarantined += part.quarantined
        duplicates += part.duplicates
        for f, n in part.new_fields.items():
            new_fields[f] = new_fields.get(f, 0) + n
    if not parts:
        return normalize(platform, entity, [], normalizer, known_fields=known_fields, keep=keep)
    if len(parts) == 1:
        return Normalised(parts[0], quarantined, duplicates, new_fields)
    table = pa.concat_tables(parts)
    key = NATURAL_KEYS[platform][entity]
    as_text = pa.table({f"k{i}": pc.cast(table.column(c), pa.string()) for i, c in enumerate(key)}
                       ).append_column("row", pa.array(range(table.num_rows), pa.int64()))
    # The last row of each key, as within a batch; then rows in the order of their keys.
    last = as_text.group_by([f"k{i}" for i in range(len(key))], use_threads=False).aggregate([("row", "max")])
    order = pc.sort_indices(last, sort_keys=[(f"k{i}", "ascending") for i in range(len(key))])
    kept = table.take(pc.take(last.column("row_max"), order))
    return Normalised(kept, quarantined, duplicates + table.num_rows - kept.num_rows, new_fields)


# Entities whose rows are events with a time of their own (a post, a comment): the lookback
# window re-reads them on later days, so a row already landed in a neighbouring day's slice is
# a duplicate, not a new row. Snapshots (profiles, metrics, audience) belong to their day.
EVENT_ENTITIES = frozenset({"posts", "comments"})


def drop_already_landed(lake: Path, platform: str, entity: str, day: date, result: "Normalised",
                        window_days: int) -> tuple["Normalised", dict[str, int]]:
    """Rows of ``result`` whose natural key is already landed in an earlier slice within
    ``window_days`` of ``day`` become duplicates: the earliest export that showed a row owns it.
    A row a later slice holds (it came late, caught by that day's lookback) stays here: its own
    day, re-pulled once the platform shows it there, takes it back, and ``release_from_later_slices``
    then removes it from the later slice, so the lake ends as if it had never been late. The lake
    itself is the state: nothing kept apart can drift."""
    if entity not in EVENT_ENTITIES or result.table.num_rows == 0 or window_days <= 1:
        return result, {}
    key = NATURAL_KEYS[platform][entity]
    mine = _key_strings(result.table, key)
    seen: dict[str, int] = {}
    drop = pa.array([False] * result.table.num_rows)
    for offset in range(-(window_days - 1), 0):
        other = day + timedelta(days=offset)
        path = slice_dir(lake, "raw", platform, entity, other) / "data.parquet"
        if offset == 0 or not path.exists():
            continue
        landed = _key_strings(pq.read_table(path, columns=list(key)), key)
        hit = pc.is_in(mine, value_set=landed)
        if pc.any(hit).as_py():
            seen[other.isoformat()] = int(pc.sum(pc.and_not(hit, drop)).as_py())
            drop = pc.or_(drop, hit)
    if not seen:
        return result, {}
    kept = result.table.filter(pc.invert(drop))
    dropped = result.table.num_rows - kept.num_rows
    return Normalised(kept, result.quarantined, result.duplicates + dropped, result.new_fields), seen


def release_from_later_slices(lake: Path, platform: str, entity: str, day: date, table: pa.Table,
                              window_days: int) -> dict[str, int]:
    """Remove from the slices of the ``window_days - 1`` days after ``day`` the rows that ``day``'s
    slice (``table``, just landed) now holds, and count them there as duplicates; returns how many
    left each slice. Called after ``day`` is written: a crash in between leaves a row in both
    slices, and re-running ``day`` finishes the move."""
    if entity not in EVENT_ENTITIES or table.num_rows == 0 or window_days <= 1:
        return {}
    key = NATURAL_KEYS[platform][entity]
    mine = _key_strings(table, key)
    released: dict[str, int] = {}
    with lake_writing(lake / "raw"):
        for offset in range(1, window_days):
            other = day + timedelta(days=offset)
            data_dir = slice_dir(lake, "raw", platform, entity, other)
            path, manifest_file = data_dir / "data.parquet", data_dir / "_manifest.json"
            if not path.exists() or not manifest_file.exists():
                continue
            landed = pq.read_table(path)
            hit = pc.is_in(_key_strings(landed, key), value_set=mine)
            n = int(pc.sum(hit).as_py() or 0)
            if not n:
                continue
            manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
            kept = landed.filter(pc.invert(hit))
            replace_atomically(path, lambda p: pq.write_table(kept, p, compression="zstd"))
            moved = dict(manifest.get("moved_to_earlier_slices") or {})
            moved[day.isoformat()] = moved.get(day.isoformat(), 0) + n
            manifest |= {"landed": manifest["landed"] - n, "duplicates": manifest["duplicates"] + n,
                         "moved_to_earlier_slices": moved}
            replace_json_atomically(manifest_file, manifest)
            released[other.isoformat()] = n
    return released


def _key_strings(table: pa.Table, key: tuple[str, ...]) -> pa.Array:
    parts = [pc.cast(table.column(c), pa.string()) for c in key]
    return parts[0] if len(parts) == 1 else pc.binary_join_element_wise(*parts, "\x1f")


@contextmanager
def lake_writing(raw: Path, exclusive: bool = False) -> Iterator[None]:
    """Hold ``<lake>/raw`` while writing under it: landings share it, the lake upgrade
    (``ingestion/lake_upgrade.py``) holds it alone, so that it never rewrites a file a landing is
    replacing, nor records the lake as on the contract while one is being written. An advisory
    ``flock`` on the folder itself (the lake gains no lock file), between the processes and
    threads of one machine; released when the folder's descriptor closes."""
    raw.mkdir(parents=True, exist_ok=True)
    fd = os.open(raw, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        yield
    finally:
        os.close(fd)


def raw_zone_of(data_path: Path) -> Path:
    """``<lake>/raw`` of a landed file, ``<lake>/raw/<platform or files>/<entity>/dt=<day>/<file>``."""
    return Path(data_path).parents[3]


def replace_atomically(target: Path, write: Callable[[Path], None]) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    try:
        write(tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def replace_json_atomically(target: Path, value: dict) -> None:
    """``value`` as indented JSON at ``target`` (a manifest, a record), replaced atomically."""
    replace_atomically(target, lambda p: p.write_text(json.dumps(value, indent=2, sort_keys=True), encoding="utf-8"))


def stamp_loaded_at(table: pa.Table, loaded_at: datetime) -> pa.Table:
    """``table`` with ``_loaded_at`` = ``loaded_at`` (in UTC) on every row, as its last column
    (replacing one it already has): a constant column, built without touching the rows."""
    if loaded_at.tzinfo is None:
        raise ValueError("loaded_at must be timezone-aware")
    if LOADED_AT_COLUMN in table.column_names:
        table = table.drop_columns([LOADED_AT_COLUMN])
    stamp = pa.repeat(pa.scalar(loaded_at.astimezone(timezone.utc), LOADED_AT_FIELD.type), table.num_rows)
    return table.append_column(LOADED_AT_FIELD, stamp)


def land(lake: Path, platform: str, entity: str, day: date, table: pa.Table, quarantined: list[dict],
         duplicates: int, fetched: int, extra: dict | None = None,
         loaded_at: datetime | None = None) -> SliceReport:
    data_dir = slice_dir(lake, "raw", platform, entity, day)
    report = SliceReport(platform, entity, day.isoformat(), fetched=fetched, landed=table.num_rows,
                         quarantined=len(quarantined), duplicates=duplicates, path=str(data_dir / "data.parquet"))
    return write_slice(report, table, quarantined, data_dir / "_manifest.json",
                       slice_dir(lake, "quarantine", platform, entity, day) / "records.jsonl", extra, loaded_at)


def write_slice(report: SliceReport, table: pa.Table, quarantined: list[dict], manifest_file: Path,
                quarantine_file: Path, extra: dict | None = None, loaded_at: datetime | None = None) -> SliceReport:
    """Write a slice's data (to ``report.path``), its quarantine and its manifest, each atomically and
    the manifest last. The data gets ``_loaded_at`` = ``loaded_at`` (default: now), also written into
    the manifest; a caller landing several slices at once passes one moment for all of them.
    Callers choose the file names (the inbox lands one file per dropped file);
    the paths must already be safe: nothing here looks at where they point."""
    check_balanced(report)
    loaded_at = (loaded_at or datetime.now(timezone.utc)).astimezone(timezone.utc)
    table = stamp_loaded_at(table, loaded_at)
    write_slice_files(report, lambda p: pq.write_table(table, p, compression="zstd"), quarantined, manifest_file,
                      quarantine_file, extra, loaded_at)
    return report


def check_balanced(report: SliceReport) -> None:
    if not report.balanced:
        raise AccountingError(f"{report.platform}/{report.entity}/{report.day}: fetched {report.fetched} != landed "
                              f"{report.landed} + quarantined {report.quarantined} + duplicates {report.duplicates}")


def write_slice_files(report: SliceReport, write_data: Callable[[Path], None], quarantined: list[dict],
                      manifest_file: Path, quarantine_file: Path, extra: dict | None, loaded_at: datetime) -> None:
    """The steps of ``write_slice`` once the data is ready to be written by ``write_data``:
    data, quarantine, manifest, each atomically, the manifest last, the lake held for writing."""
    with lake_writing(raw_zone_of(Path(report.path))):
        replace_atomically(Path(report.path), write_data)
        if quarantined:
            def write_jsonl(p: Path) -> None:
                with open(p, "w", encoding="utf-8") as fh:
                    for q in quarantined:
                        fh.write(json.dumps(q, ensure_ascii=False, default=str) + "\n")
            replace_atomically(quarantine_file, write_jsonl)
        else:
            quarantine_file.unlink(missing_ok=True)  # a clean re-run clears the slice's old quarantine
        manifest = asdict(report) | {"loaded_at": loaded_at.isoformat()} | (extra or {})
        replace_json_atomically(manifest_file, manifest)


def unlanded_slices(lake: Path, platforms: list[str], days: list[date]) -> list[str]:
    """The (platform, entity, day) slices of ``days`` that are missing from the lake or whose
    manifest does not balance, named for a person to act on; empty when every slice is there."""
    problems = []
    for day in days:
        for platform in platforms:
            for entity in ENTITIES:
                manifest_file = slice_dir(lake, "raw", platform, entity, day) / "_manifest.json"
                name = f"{platform}/{entity}/{day.isoformat()}"
                try:
                    m = json.loads(manifest_file.read_text(encoding="utf-8"))
                except FileNotFoundError:
                    problems.append(f"{name}: not landed")
                    continue
                except (OSError, ValueError) as exc:
                    problems.append(f"{name}: unreadable manifest ({exc})")
                    continue
                if m.get("fetched") != m.get("landed", 0) + m.get("quarantined", 0) + m.get("duplicates", 0):
                    problems.append(f"{name}: accounting does not balance ({m.get('fetched')} fetched, "
                                    f"{m.get('landed')} landed, {m.get('quarantined')} quarantined, "
                                    f"{m.get('duplicates')} duplicates)")
    return problems


def read_manifest(lake: Path, platform: str, entity: str, day: date) -> dict | None:
    """A slice's manifest, or None when the slice was never landed. An unreadable manifest
    raises ``ValueError`` (a landed slice whose accounting cannot be read is not "missing")."""
    manifest_file = slice_dir(lake, "raw", platform, entity, day) / "_manifest.json"
    try:
        return json.loads(manifest_file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise ValueError(f"{platform}/{entity}/{day.isoformat()}: unreadable manifest ({exc})") from exc


def landed_days_before(lake: Path, platform: str, entity: str, day: date, limit: int) -> list[date]:
    """The latest ``limit`` days before ``day`` whose slice has a manifest, newest first: the
    history a day's counts are compared with. Gaps (days never landed) are skipped, not zeros."""
    entity_dir = lake / "raw" / platform / entity
    try:
        names = [e.name for e in os.scandir(entity_dir) if e.is_dir() and e.name.startswith("dt=")]
    except FileNotFoundError:
        return []
    days = []
    for name in names:
        try:
            days.append(date.fromisoformat(name[3:]))
        except ValueError:
            continue
    found = []
    for d in sorted((d for d in days if d < day), reverse=True):
        if len(found) >= limit:
            break
        if (slice_dir(lake, "raw", platform, entity, d) / "_manifest.json").exists():
            found.append(d)
    return found
