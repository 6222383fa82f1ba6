"""The inbox's fast path: a unified-format Parquet file validated column by column.

A bulk export (ten million comments of a viral day) cannot go through the row path of
``ingestion/inbox.py`` (a Python dict per row, a Python conversion per value) in the time of a
nightly run. This module lands the same file with the same contract, Arrow batch by Arrow batch:

- the file is read in record batches (``BATCH_ROWS`` rows), never whole and never as Python rows;
- each column is checked with Arrow compute kernels for the values the row path would accept as
  they are (a string id without control characters or edge whitespace, a timestamp with a zone
  inside the plausible range, a non-negative integer...). A row whose every column passes is
  validated here; **every other row goes through the row path's own functions** (``validate``,
  ``bad_row_day``, ``_private_raw``, ``_mask_inside``, ``_scrub``), so a quarantined row gets
  exactly the reason, column, day and scrubbed payload it gets there;
- repeats of the natural key are found by one sort (the last repeat wins, as in the row path),
  commenter and follower ids and handles are pseudonymised once per distinct value
  (``privacy.pseudonymise``, keyed by platform) and mapped back, and a handle's length and digit
  count are derived with ``utf8_length``;
- each day's slice is written like the row path's (``landing.write_slice``'s steps: atomic
  replace, quarantine JSONL, the manifest last), its rows in the same order (by natural key),
  in chunks so that the sorted table is never copied whole.

The row path stays the reference (CSV files, the platforms' exports, and any Parquet file when
``KOL_INBOX_BULK=0``); ``tests/test_inbox_bulk.py`` drops the same files through both and
compares the lake they leave byte for byte in content.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from functools import lru_cache
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ingestion import inbox as ib
from ingestion.inbox_schema import (
    ENTITIES, EXTRAS_COLUMN, FORMAT_VERSION, PERSONAL_ENTITIES, PLATFORMS, SOURCE, UNIFIED, Column, Entity,
    KINDS, content_schema,
)
from ingestion.landing import SliceReport, check_balanced, stamp_loaded_at, write_slice_files
from ingestion.plausibility import EARLIEST, FUTURE_SLACK, MAX_FIELD_CHARS
from ingestion.privacy import pseudonym_key, pseudonymise

ENV = "KOL_INBOX_BULK"  # "0": every file takes the row path (the reference)
BATCH_ROWS = 262_144
WRITE_CHUNK = 524_288  # rows taken from the sorted order per Parquet write
ROW = "__row"
DAY = "__day"
_MAX_INT = {"count": 2**63 - 1, "int": 2**31 - 1}
# What the fast path did with the last file it landed, per file name: rows validated column-wise and
# rows that took the row path's functions one by one (for the benchmark and the tests).
LAST: dict[str, dict[str, int]] = {}


def enabled() -> bool:
    return os.environ.get(ENV, "1").strip().lower() not in ("0", "false", "no", "off")


def applies(source: ib.Source, suffix: str) -> bool:
    """The fast path takes unified-format Parquet files (any entity); everything else takes the row path."""
    return enabled() and suffix == ".parquet" and source.export is None and source.entity in UNIFIED


# --------------------------------------------------------------------------- character classes


@lru_cache(maxsize=1)
def _space_class() -> str:
    """An RE2 class of the characters Python's ``str.isspace`` calls whitespace (what ``strip``
    removes and what makes a value blank), so that Arrow and the row path agree on every one."""
    chars = [c for c in map(chr, range(0x110000)) if c.isspace()]
    return "[" + "".join(f"\\x{{{ord(c):x}}}" for c in chars) + "]"




def _match(arr: pa.Array, pattern: str) -> pa.Array:
    return pc.fill_null(pc.match_substring_regex(arr, pattern), False)


def _blank_text(arr: pa.Array) -> pa.Array:
    """The row path's ``_blank`` for a string column: null, empty or whitespace only."""
    # Arrow's whitespace is Python's but for the no-break spaces: a value holding one is looked at
    # with the exact class, the others by Arrow's trim.
    arrow_blank = pc.equal(pc.utf8_length(pc.utf8_trim_whitespace(arr)), 0)
    nbsp = pc.or_(pc.match_substring(arr, "\u00a0"), pc.match_substring(arr, "\u202f"))
    exact = pc.if_else(pc.fill_null(nbsp, False), _match(arr, f"^{_space_class()}*$"), arrow_blank)
    return pc.or_(pc.is_null(arr), pc.fill_null(exact, False))


def _byte_counts(arr: pa.Array, hit) -> np.ndarray:
    """Per string of ``arr``: how many of its UTF-8 bytes ``hit`` (a numpy predicate over the data
    buffer) marks. ASCII bytes never occur inside a multi-byte character, so counting the digits
    0-9 or finding a control character needs no decoding; null strings count 0."""
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int32)[arr.offset: arr.offset + len(arr) + 1]
    data = arr.buffers()[2]
    data = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8)
    marked = np.zeros(len(data) + 1, dtype=np.int64)
    np.cumsum(hit(data), out=marked[1:])
    return marked[offsets[1:]] - marked[offsets[:-1]]


def _odd_id_bytes(data: np.ndarray) -> np.ndarray:
    """Bytes of a control character (C0, DEL, or the lead byte of a C1 one: C2 80..9F) or a '+'
    (a spreadsheet's 1.2E+15 may follow): such ids are the row path's to judge."""
    odd = (data < 0x20) | (data == 0x7F) | (data == 0x2B)
    if len(data) > 1:
        odd[:-1] |= (data[:-1] == 0xC2) & (data[1:] >= 0x80) & (data[1:] <= 0x9F)
    return odd


def _edge_space(arr: pa.Array) -> pa.Array:
    """A value Python's ``strip`` would change (or might: no-break spaces, which Arrow's trim keeps
    and Python's removes, anywhere in it). Arrow's whitespace is a subset of Python's."""
    trimmed = pc.utf8_trim_whitespace(arr)
    nbsp = pc.or_(pc.match_substring(arr, "\u00a0"), pc.match_substring(arr, "\u202f"))
    return pc.fill_null(pc.or_(pc.not_equal(trimmed, arr), nbsp), False)


def _repeat(value, type_, n: int) -> pa.Array:
    return pa.repeat(pa.scalar(value, type_), n)


# --------------------------------------------------------------------------- one column


def _plain(arr: pa.Array) -> pa.Array:
    if pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_decode()
    if pa.types.is_large_string(arr.type) or pa.types.is_string_view(arr.type):
        arr = arr.cast(pa.string())
    return arr


def fast_column(col: Column, arr: pa.Array | None, n: int, now: datetime) -> tuple[pa.Array, pa.Array]:
    """(ok, value): where ``ok`` is true the row path's ``validate`` accepts the raw value of this
    column without a problem and makes ``value`` of it (null for a blank optional value); where it
    is false the row must go through the row path (it may still be good: the row path decides)."""
    out_type = KINDS[col.kind]
    if arr is None:  # an optional column the file does not have: every value blank
        return _repeat(not col.required, pa.bool_(), n), pa.nulls(n, out_type)
    arr = _plain(arr)
    t = arr.type
    if pa.types.is_string(t):
        length = pc.utf8_length(arr)
        if col.kind in ("platform", "id", "code"):
            # Blank here is null only: an empty or whitespace-only id is caught below as odd (edge
            # whitespace, or empty) and left to the row path, which says "required but empty".
            blank = pc.is_null(arr)
        else:
            blank = _blank_text(arr)
        length_ok = pc.fill_null(pc.and_(pc.less_equal(length, MAX_FIELD_CHARS), pc.greater(length, 0)), True)
        present = pc.invert(blank)
        if col.kind == "platform":
            lowered = pc.ascii_lower(arr)
            ok = pc.and_(pc.fill_null(pc.string_is_ascii(arr), False), pc.is_in(lowered, value_set=pa.array(PLATFORMS)))
            value = lowered
        elif col.kind in ("id", "code"):
            # edge whitespace (stripped), control characters, or what may be a spreadsheet's 1.2E+15:
            # the row path's to judge (byte scans, no regular expression per value)
            odd = pc.or_(_edge_space(arr), pa.array(_byte_counts(arr, _odd_id_bytes) > 0))
            ok = pc.and_(length_ok, pc.invert(odd))
            value = arr
        elif col.kind == "text":
            ok = pc.and_(length_ok, pa.array(_byte_counts(arr, lambda d: d == 0) == 0))
            value = arr
        elif col.kind in ("int", "count"):
            digits = _match(arr, "^[0-9]{1,18}$")
            number = pc.cast(pc.if_else(digits, arr, "0"), pa.int64())
            ok = pc.and_(digits, pc.less_equal(number, _MAX_INT[col.kind]))
            value = pc.cast(pc.if_else(ok, number, 0), out_type)
        else:
            ok, value = _repeat(False, pa.bool_(), n), pa.nulls(n, out_type)
        ok = pc.fill_null(pc.and_(present, ok), False)
        ok = pc.if_else(blank, not col.required, ok)
        return ok, pc.if_else(blank, pa.scalar(None, out_type), pc.cast(value, out_type))
    null = pc.is_null(arr)
    if col.kind in ("id", "code") and pa.types.is_integer(t):
        ok, value = _repeat(True, pa.bool_(), n), pc.cast(arr, pa.string())
    elif col.kind in ("int", "count") and pa.types.is_integer(t):
        in_range = pc.and_(pc.greater_equal(arr, 0), pc.less_equal(arr, _MAX_INT[col.kind]))
        ok = pc.fill_null(in_range, False)
        value = pc.cast(pc.if_else(ok, arr, 0), out_type)
    elif col.kind == "bool" and pa.types.is_boolean(t):
        ok, value = _repeat(True, pa.bool_(), n), arr
    elif col.kind == "timestamp" and pa.types.is_timestamp(t) and t.tz and t.unit in ("s", "ms", "us"):
        value = pc.cast(arr, pa.timestamp("us", tz="UTC"))
        ok = pc.fill_null(pc.and_(pc.less_equal(value, pa.scalar(now + FUTURE_SLACK, value.type)),
                                  pc.greater_equal(value, pa.scalar(EARLIEST, value.type))), False)
    elif col.kind == "date" and pa.types.is_date32(t):
        value = arr
        # the row path checks the day's midnight (UTC): after now + a day is the day after that day
        latest = (now + FUTURE_SLACK).astimezone(timezone.utc).date()
        ok = pc.fill_null(pc.and_(pc.greater_equal(arr, pa.scalar(EARLIEST.date(), pa.date32())),
                                  pc.less_equal(arr, pa.scalar(latest, pa.date32()))), False)
    elif pa.types.is_null(t):
        ok, value = _repeat(False, pa.bool_(), n), pa.nulls(n, out_type)
    else:  # any other type (floats, strings of times, money...): the row path converts it
        ok, value = _repeat(False, pa.bool_(), n), pa.nulls(n, out_type)
    ok = pc.if_else(null, not col.required, ok)
    return ok, pc.if_else(null, pa.scalar(None, out_type), pc.cast(value, out_type))


def _digit_count(arr: pa.Array) -> pa.Array:
    counts = _byte_counts(arr, lambda d: (d >= 0x30) & (d <= 0x39)).astype(np.int32)
    return pa.array(counts, mask=~arr.is_valid().to_numpy(zero_copy_only=False))


def _key_text(spec: Entity, table: pa.Table) -> pa.ChunkedArray:
    parts = [pc.cast(table.column(k), pa.string()) for k in spec.key]
    return parts[0] if len(parts) == 1 else pc.binary_join_element_wise(*parts, "\x1f")


# --------------------------------------------------------------------------- the KOLs' ids


def _columns_by_unified(source: ib.Source, names: list[str]) -> tuple[dict[str, str], list[str]]:
    """(unified column -> the file's column, the file's other columns), as ``candidates`` maps them."""
    spec = UNIFIED[source.entity]
    by_lower = {c.lower(): c for c in names}
    known = {n: by_lower[n] for n in spec.names if n in by_lower}
    extras = [c for c in names if c not in set(known.values())]
    return known, extras


def kol_ids(parquet: pq.ParquetFile, source: ib.Source, fix: str) -> dict[str, set[str]]:
    """``inbox.kol_ids`` of a unified Parquet file, reading two columns and judging each distinct
    (platform, account_id) pair once, by the row path's own rules."""
    columns = ib._header([str(c) for c in parquet.schema_arrow.names])
    known, _ = _columns_by_unified(source, columns)
    wanted = [known[c] for c in ("platform", "account_id") if c in known]
    keep: dict[str, set[str]] = {}
    if "account_id" not in known:
        return keep
    index = {c: i for i, c in enumerate(columns)}
    pairs: set = set()
    row = 0
    try:
        for batch in parquet.iter_batches(batch_size=BATCH_ROWS, columns=[parquet.schema_arrow.names[index[c]]
                                                                            for c in wanted]):
            row += batch.num_rows
            table = pa.table({f"c{i}": _plain(batch.column(parquet.schema_arrow.names[index[c]]))
                              for i, c in enumerate(wanted)})
            try:
                uniq = table.group_by(table.column_names, use_threads=False).aggregate([])
                pairs.update(zip(*(uniq.column(c).to_pylist() for c in table.column_names)))
            except (pa.ArrowNotImplementedError, pa.ArrowInvalid, TypeError):
                pairs.update(zip(*(table.column(c).to_pylist() for c in table.column_names)))
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise ib.Rejected(f"not a readable Parquet file: {exc} (after row {row})", fix) from None
    for pair in pairs:
        platform_raw, account = pair if len(wanted) == 2 else (None, pair[0])
        if ib._blank(account) or isinstance(account, bool) or not isinstance(account, (str, int)):
            continue
        keep.setdefault(ib._platform_of({"platform": platform_raw}), set()).add(str(account).strip())
    return keep


# --------------------------------------------------------------------------- the file


@dataclass
class _Accum:
    parts: list[pa.Table] = field(default_factory=list)          # valid rows: content columns, __row, __day
    quarantined: dict[date, list[dict]] = field(default_factory=dict)
    undated: list[dict] = field(default_factory=list)
    events: list[tuple[int, str]] = field(default_factory=list)  # (row, problem) of quarantined rows
    new_fields: dict[str, int] = field(default_factory=dict)
    fetched: int = 0
    fast: int = 0
    slow: int = 0


def _schema_with_row(entity: str) -> pa.Schema:
    schema = content_schema(entity)
    return schema.append(pa.field(ROW, pa.int64())).append(pa.field(DAY, pa.date32()))


def _row_path(spec: Entity, cand: ib.Candidate, keep: dict[str, set[str]], now: datetime, name: str, sha: str,
              acc: _Accum) -> dict | None:
    """One row as ``plan_file`` treats it, but for the natural key: the landed values (with
    ``__day``), or None when it was quarantined (recorded in ``acc``)."""
    entity = spec.name
    platform = ib._platform_of(cand.values)
    mine = keep.get(platform, set())
    personal, raws = ib._private_raw(spec, cand.values, mine) if entity in PERSONAL_ENTITIES else (set(), ())
    try:
        row = ib.validate(spec, cand, now)
    except ib.RowProblem as problem:
        payload = ib._cut(cand.record.values)
        if entity in PERSONAL_ENTITIES:
            payload = ib._scrub(payload, personal, platform, mine, raws)
        record = {"reason": problem.message, "source": SOURCE, "entity": entity, "file": name, "sha256": sha,
                  "row": cand.record.row, "line": cand.record.line, "column": problem.column,
                  "payload": {k: ib._jsonable(v) for k, v in payload.items()}}
        day = ib.bad_row_day(spec, cand, now)
        if day is None:
            acc.undated.append(record)
        else:
            acc.quarantined.setdefault(day, []).append(record)
        acc.events.append((cand.record.row, f"{entity} {name}, row {cand.record.row}: {problem.message}"))
        return None
    day = ib.row_day(spec, row)
    if raws:
        ib._mask_inside(spec, row, platform, raws)
    extras = {k: ib._jsonable(v) for k, v in cand.extras.items() if not ib._blank(v)}
    for k in extras:
        acc.new_fields[k] = acc.new_fields.get(k, 0) + 1
    if extras and entity in PERSONAL_ENTITIES:
        extras = ib._scrub(extras, personal, platform, mine, raws)
    row[EXTRAS_COLUMN] = json.dumps(extras, ensure_ascii=False, sort_keys=True) if extras else None
    row[DAY] = day
    return row


def _contains(texts: pa.Array, needles: pa.Array) -> pa.Array:
    """Per row: ``needles[i]`` (4 characters or more) occurs in ``texts[i]``."""
    import duckdb

    table = pa.table({"t": texts, "n": needles})
    con = duckdb.connect()
    try:
        con.execute("set threads to 1")
        con.register("pairs", table)
        found = con.sql("select coalesce(contains(t, n), false) as hit from pairs").to_arrow_table().column("hit")
    finally:
        con.close()
    long_enough = pc.fill_null(pc.greater_equal(pc.utf8_length(needles), 4), False)
    return pc.and_(pc.fill_null(found.combine_chunks() if isinstance(found, pa.ChunkedArray) else found, False),
                   long_enough)


def _kol_rows(platform: pa.Array, identity: pa.Array, keep: dict[str, set[str]]) -> pa.Array:
    """Per row: its person (the identity column) is one of the file's KOLs on its platform."""
    pairs = [f"{p}\x1f{a}" for p, ids in keep.items() for a in ids]
    if not pairs:
        return _repeat(False, pa.bool_(), len(platform))
    joined = pc.binary_join_element_wise(platform, identity, "\x1f")
    return pc.fill_null(pc.is_in(joined, value_set=pa.array(pairs, pa.string())), False)


def _batch(spec: Entity, batch: pa.RecordBatch, columns: list[str], known: dict[str, str], extras: list[str],
           first_row: int, keep: dict[str, set[str]], now: datetime, name: str, sha: str, acc: _Accum) -> None:
    n = batch.num_rows
    index = {c: i for i, c in enumerate(columns)}
    raw = {u: batch.column(index[c]) for u, c in known.items()}
    ok = _repeat(True, pa.bool_(), n)
    values: dict[str, pa.Array] = {}
    for col in spec.columns:
        col_ok, values[col.name] = fast_column(col, raw.get(col.name), n, now)
        ok = pc.and_(ok, col_ok)
    for group in spec.one_of:  # "needs a or b": the row path's to say
        none = _repeat(True, pa.bool_(), n)
        for c in group:
            none = pc.and_(none, pc.is_null(values[c]))
        ok = pc.and_(ok, pc.invert(none))
    for c in extras:  # a value in a column the format does not know: the row path writes _extras
        arr = _plain(batch.column(index[c]))
        if pa.types.is_string(arr.type):
            blank = _blank_text(arr)
        elif pa.types.is_floating(arr.type):
            blank = pc.or_(pc.is_null(arr), pc.fill_null(pc.is_nan(arr), True))
        else:
            blank = pc.is_null(arr)
        ok = pc.and_(ok, blank)
    identity, pii = ib._person(spec) if spec.name in PERSONAL_ENTITIES else (None, set())
    if identity is not None:
        # A row whose text quotes its own follower's id or handle: the row path masks it inside the text.
        kol = _kol_rows(values["platform"], values[identity], keep)
        texts = [c.name for c in spec.columns if c.kind == "text"]
        for t in texts:
            for p in sorted(pii):
                quoted = pc.and_(pc.invert(kol), _contains(values[t], values[p]))
                ok = pc.and_(ok, pc.invert(quoted))
        for col in spec.columns:
            if col.pii == "handle":
                h = values[col.name]
                given_len, given_digits = values[f"{col.name}_length"], values[f"{col.name}_digit_count"]
                values[f"{col.name}_length"] = pc.if_else(pc.is_valid(h), pc.cast(pc.utf8_length(h), pa.int32()),
                                                          given_len)
                values[f"{col.name}_digit_count"] = pc.if_else(pc.is_valid(h), _digit_count(h), given_digits)
    ok = pc.fill_null(ok, False)
    rows = pa.array(np.arange(first_row + 1, first_row + n + 1, dtype=np.int64))
    # the row's day: its first present day_from column, as a UTC date
    day = pa.nulls(n, pa.date32())
    for c in reversed(spec.day_from):
        v = values[c]
        as_day = pc.cast(v, pa.date32()) if pa.types.is_timestamp(v.type) else v
        day = pc.if_else(pc.is_valid(v), as_day, day)
    fast_count = pc.sum(ok).as_py() or 0
    schema = _schema_with_row(spec.name)
    if fast_count:
        mask = ok
        cols = [pc.filter(values[c.name], mask) if c.name in values else None for c in spec.columns]
        fast = pa.Table.from_arrays(
            [*cols, pa.nulls(fast_count, pa.string()), pc.filter(rows, mask), pc.filter(day, mask)],
            schema=schema)
        acc.parts.append(fast)
    acc.fast += fast_count
    if fast_count < n:
        slow_idx = pc.indices_nonzero(pc.invert(ok))
        slow = batch.take(slow_idx)
        landed = []
        origin = {u: c for u, c in known.items()}
        for i, record_values in zip(slow_idx.to_pylist(), slow.to_pylist()):
            values_by_file = dict(zip(columns, record_values.values()))
            rec = ib.Record(first_row + i + 1, None, values_by_file)
            cand = ib.Candidate(spec.name, rec, {u: values_by_file[c] for u, c in known.items()},
                                {c: values_by_file[c] for c in extras}, origin)
            row = _row_path(spec, cand, keep, now, name, sha, acc)
            if row is not None:
                row[ROW] = rec.row
                landed.append(row)
        if landed:
            slow_part = pa.Table.from_pylist(landed, schema=schema)
            if fast_count:  # the batch's valid rows in row order: the key sort is stable
                part = pa.concat_tables([acc.parts.pop(), slow_part]).combine_chunks()
                acc.parts.append(part.take(pc.sort_indices(part.column(ROW))))
            else:
                acc.parts.append(slow_part)
        acc.slow += n - fast_count
    acc.fetched += n


def _pseudonyms(values: pa.Array, platform: str, key: bytes, chunk: int = 262_144) -> pa.Array:
    """``privacy.pseudonymise`` of every value of ``values`` (distinct values: each hashed once)."""
    out = []
    for start in range(0, len(values), chunk):
        out.append(pa.array([pseudonymise(v, platform, key) for v in values.slice(start, chunk).to_pylist()],
                            pa.string()))
    return pa.concat_arrays(out) if out else pa.array([], pa.string())


def _pseudonymise_column(platform: pa.Array, values: pa.Array, keep_row: pa.Array, key: bytes,
                         only: str | None) -> pa.Array:
    """``values`` with every value not kept replaced by its pseudonym on its platform: each distinct
    (platform, value) is hashed once (HMAC-SHA256, ``privacy.pseudonymise``) and mapped back."""
    if only is not None:  # one platform (a platform's bulk export): no need to key values by it
        encoded = pc.dictionary_encode(values)
        mapped = pc.take(_pseudonyms(encoded.dictionary, only, key), encoded.indices)
    else:
        joined = pc.binary_join_element_wise(platform, values, "\x1f")  # null where the value is
        encoded = pc.dictionary_encode(joined)
        del joined
        parts = [text.partition("\x1f") for text in encoded.dictionary.to_pylist()]
        mapped = pc.take(pa.array([pseudonymise(v, p, key) for p, _, v in parts], pa.string()), encoded.indices)
    return pc.if_else(pc.fill_null(keep_row, False), values, mapped)


def _combined(arr):
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def _protect(spec: Entity, table: pa.Table, keep: dict[str, set[str]]) -> pa.Table:
    """``privacy.protect`` of the row path's ``_table``, for every platform at once."""
    identity, _ = ib._person(spec)
    if identity is None or table.num_rows == 0:
        return table
    key = pseudonym_key()
    platform = _combined(table.column("platform"))
    platforms = pc.unique(platform).to_pylist()
    only = platforms[0] if len(platforms) == 1 else None

    def kept(column: str) -> pa.Array:
        values = _combined(table.column(column))
        if only is not None:
            return pc.fill_null(pc.is_in(values, value_set=pa.array(sorted(keep.get(only, set())), pa.string())),
                                False)
        pairs = pa.array([f"{p}\x1f{a}" for p, ids in keep.items() for a in ids] or [""], pa.string())
        return pc.fill_null(pc.is_in(pc.binary_join_element_wise(platform, values, "\x1f"), value_set=pairs), False)

    kol_rows = kept(identity)
    for col in spec.columns:
        if col.pii not in ("id", "handle"):
            continue
        keep_row = kept(col.name) if col.pii == "id" else pc.or_(kol_rows, kept(col.name))
        new = _pseudonymise_column(platform, _combined(table.column(col.name)), keep_row, key, only)
        i = table.schema.get_field_index(col.name)
        table = table.set_column(i, table.schema.field(i), new)
    return table


def land(parquet: pq.ParquetFile, lake: Path, name: str, sha: str, source: ib.Source, keep: dict[str, set[str]],
         now: datetime, report: ib.FileReport, fix: str) -> dict:
    """Validate and land a unified Parquet file, as ``plan_file`` and ``_land_file`` do; returns
    what the fast path did (rows taken column-wise and row by row)."""
    entity = source.entity
    spec = UNIFIED[entity]
    columns = ib._header([str(c) for c in parquet.schema_arrow.names])
    known, extras = _columns_by_unified(source, columns)
    acc = _Accum()
    row = 0
    batches = parquet.iter_batches(batch_size=BATCH_ROWS)
    while True:
        try:
            batch = next(batches)
        except StopIteration:
            break
        except (pa.ArrowException, OSError, ValueError) as exc:
            raise ib.Rejected(f"not a readable Parquet file: {exc} (after row {row})", fix) from None
        _batch(spec, batch, columns, known, extras, row, keep, now, name, sha, acc)
        row += batch.num_rows
    schema = _schema_with_row(entity)
    valid = pa.concat_tables(acc.parts) if acc.parts else schema.empty_table()
    acc.parts.clear()
    report.skipped = {}

    # Repeats of the natural key: sorted by key then row, all but the last of a run are duplicates.
    # One string per key (its values joined by \x1f, below any character a validated id or code
    # may hold, so the order is that of the row path's tuples); a stable sort keeps repeats in row order.
    joined = _key_text(spec, valid)
    order = pc.sort_indices(joined)
    rows_sorted = pc.take(valid.column(ROW), order)
    n = valid.num_rows
    if n > 1:
        keys = pc.take(joined, order)
        del joined
        same = pc.fill_null(pc.equal(keys.slice(0, n - 1), keys.slice(1)), False)
        del keys
        dup_at = pc.indices_nonzero(same)  # positions (in sorted order) of rows a later row repeats
    else:
        dup_at = pa.array([], pa.uint64())
    dup_pos = dup_at.combine_chunks() if isinstance(dup_at, pa.ChunkedArray) else dup_at
    dup_rows = pc.take(rows_sorted, dup_pos)
    dup_next = pc.take(rows_sorted, pc.add(dup_pos, 1))
    dup_days = pc.take(pc.take(valid.column(DAY), order), dup_pos)
    keep_mask = np.ones(n, dtype=bool)
    keep_mask[dup_pos.to_numpy()] = False
    kept_order = pc.filter(order, pa.array(keep_mask))
    by_next = pc.sort_indices(dup_next)
    duplicate_rows = pc.take(dup_rows, by_next).to_pylist()
    next_rows = pc.take(dup_next, by_next).to_pylist()
    events = acc.events + [(nxt, f"{entity} {name}, row {old}: its key ({', '.join(spec.key)}) comes again in row "
                                 f"{nxt}; the later row is kept") for old, nxt in zip(duplicate_rows, next_rows)]
    events.sort(key=lambda e: e[0])
    report.problems.extend(m for _, m in events[:ib.MAX_PROBLEMS - len(report.problems)])

    # Per day: landed rows (in key order), quarantined rows, duplicates.
    all_days = pc.take(valid.column(DAY), kept_order)
    days_landed = pc.value_counts(all_days).to_pylist() if len(all_days) else []
    landed_per_day = {d["values"]: d["counts"] for d in days_landed}
    dup_per_day = {d["values"]: d["counts"] for d in pc.value_counts(dup_days).to_pylist()} if len(dup_days) else {}
    valid_per_day = {d["values"]: d["counts"] for d in pc.value_counts(valid.column(DAY)).to_pylist()} if n else {}
    if acc.undated:
        # A bad row without a day of its own: the day in the file's name, else the file's most common day.
        day = ib._day_in_name(name) or (max(sorted(valid_per_day), key=valid_per_day.get) if valid_per_day
                                        else now.date())
        acc.quarantined.setdefault(day, []).extend(acc.undated)
    days = sorted(set(landed_per_day) | set(dup_per_day) | set(acc.quarantined))
    counts = report.entities.setdefault(entity, ib.Counts())
    per_day = {}
    for d in days:
        c = ib.Counts(landed_per_day.get(d, 0) + dup_per_day.get(d, 0) + len(acc.quarantined.get(d, [])),
                      landed_per_day.get(d, 0), len(acc.quarantined.get(d, [])), dup_per_day.get(d, 0))
        per_day[d] = c
        counts.add(c)
    if counts.fetched != acc.fetched or not counts.balanced:
        raise AssertionError(f"{name}/{entity}: {acc.fetched} rows, {counts}")

    # The landed table, pseudonymised once for the whole file, written day by day in key order.
    content = content_schema(entity)
    table = valid.select(content.names + [DAY])
    del valid
    if entity in PERSONAL_ENTITIES:
        table = _protect(spec, table, keep)
    output = f"{ib.safe_stem(name)}-{sha[:12]}"
    accounting = {e: vars(c) for e, c in report.entities.items()}
    written: set[Path] = set()
    for d in days:
        c = per_day[d]
        day_order = pc.filter(kept_order, pc.equal(all_days, pa.scalar(d, pa.date32()))) if c.landed else \
            pa.array([], pa.uint64())
        data_dir = ib.files_dir(lake, "raw", entity, d)
        slice_report = SliceReport(SOURCE, entity, d.isoformat(), fetched=c.fetched, landed=c.landed,
                                   quarantined=c.quarantined, duplicates=c.duplicates,
                                   path=str(data_dir / f"{output}.parquet"), schema_version=FORMAT_VERSION)
        quarantine = ib.files_dir(lake, "quarantine", entity, d) / f"{output}.jsonl"
        manifest = data_dir / f"_manifest-{output}.json"
        extra = {"source_file": name, "sha256": sha, "kind": source.kind, "format_version": FORMAT_VERSION,
                 "landed_at": now.isoformat(), "skipped_rows": report.skipped, "file_accounting": accounting,
                 "new_fields": acc.new_fields, "duplicate_rows": duplicate_rows[:1000]}
        _write_slice(slice_report, table, content, day_order, acc.quarantined.get(d, []), manifest, quarantine,
                     extra, now)
        written |= {Path(slice_report.path), quarantine, manifest}
        report.slices.append(slice_report.path)
    for zone, pattern in (("raw", f"dt=*/{output}.parquet"), ("raw", f"dt=*/_manifest-{output}.json"),
                          ("quarantine", f"dt=*/{output}.jsonl")):
        for e in ENTITIES:
            for stale in (lake / zone / SOURCE / e).glob(pattern):
                if stale not in written:
                    stale.unlink()
    LAST[name] = {"rows": acc.fetched, "column_wise": acc.fast, "row_by_row": acc.slow}
    return LAST[name]


def _write_slice(report: SliceReport, table: pa.Table, content: pa.Schema, order: pa.Array, quarantined: list[dict],
                 manifest_file: Path, quarantine_file: Path, extra: dict, loaded_at: datetime) -> None:
    """``landing.write_slice``, but for a table given as the rows ``order`` of a larger one, written
    in chunks (the sorted slice is never copied whole)."""
    check_balanced(report)
    loaded_at = loaded_at.astimezone(timezone.utc)
    schema = stamp_loaded_at(content.empty_table(), loaded_at).schema

    def write(p: Path) -> None:
        if len(order) == 0:
            pq.write_table(schema.empty_table(), p, compression="zstd")
            return
        with pq.ParquetWriter(p, schema, compression="zstd") as writer:
            for start in range(0, len(order), WRITE_CHUNK):
                part = table.take(order.slice(start, WRITE_CHUNK)).select(content.names)
                part = pa.Table.from_arrays([c.cast(f.type) for c, f in zip(part.columns, content)], schema=content)
                writer.write_table(stamp_loaded_at(part, loaded_at), row_group_size=1024 * 1024)

    write_slice_files(report, write, quarantined, manifest_file, quarantine_file, extra, loaded_at)
