"""File drops: export files users put in an inbox folder, validated, quarantined or landed
exactly like API pulls.

    python -m ingestion.inbox [--inbox DIR] [--lake DIR]      (or: make inbox)

Two kinds of file are accepted (``docs/unified-format.md`` is the user's guide):

- the **unified format** (``ingestion/inbox_schema.py``), for data from any other tool:
  ``<entity>__<anything>.csv`` or ``.parquet``, one entity per file;
- the **platforms' own dashboard exports** (the nine CSVs of ``export_files`` in
  ``ingestion/demo/<platform>_api.py``) and the brand-collaboration ``commerce.csv``,
  recognised by their header row whatever their name, and converted to unified rows:
  one ``posts`` row and one ``post_metrics`` row (the snapshot of the export's day) per
  export row, each platform's quirks parsed on the way.

A file is hashed and read first (a unified-format Parquet file in record batches, validated
column by column in ``ingestion/inbox_bulk.py`` with the same outcome as the row by row path
here; ``KOL_INBOX_BULK=0`` forces the row path). A file that cannot be read at all (an unsafe
name, not UTF-8, not CSV or Parquet, empty, an unknown header, a required column
missing) is moved to ``<inbox>/rejected/`` beside a ``<name>.error.txt`` that says what
is wrong and how to fix it. Otherwise every row is validated against the contract; a row
that fails is quarantined with a reason naming its file, row and column, the good rows of
the same file land all the same, and repeats of a natural key count as duplicates. Each
entity of the file lands, per day (the row's own day: see ``Entity.day_from``), as one
file named after the dropped file and its content hash:

    <lake>/raw/files/<entity>/dt=YYYY-MM-DD/<stem>-<sha256[:12]>.parquet
    <lake>/raw/files/<entity>/dt=YYYY-MM-DD/_manifest-<stem>-<sha256[:12]>.json    the accounting
    <lake>/quarantine/files/<entity>/dt=YYYY-MM-DD/<stem>-<sha256[:12]>.jsonl     reason, file, row, scrubbed raw row

so re-dropping the same content replaces its own files and never doubles a row, and a file
with the same content under another name is recognised as already landed. Files are
written atomically (``landing.write_slice``), then the dropped file moves to
``<inbox>/processed/<YYYY-MM-DD>/``. Nothing in the inbox is ever deleted. Follower and
commenter ids and handles are pseudonymised before anything is written, in landed rows,
in ``_extras`` and in quarantined rows alike; KOLs (every row's ``account_id``) keep theirs.
"""
from __future__ import annotations

import argparse
import csv
import fcntl
import hashlib
import io
import json
import math
import os
import re
import stat
import sys
import unicodedata
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Callable, Iterator

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ingestion import settings
from ingestion.inbox_schema import (
    ENTITIES, EXTRAS_COLUMN, FORMAT_VERSION, PERSONAL_ENTITIES, PLATFORMS, SOURCE, UNIFIED, Entity, content_schema,
)
from ingestion.landing import SliceReport, write_slice
from ingestion.plausibility import EARLIEST, FUTURE_SLACK, MAX_FIELD_CHARS
from ingestion.privacy import PERSON_KEYS, protect, pseudonym_key, pseudonymise
from ingestion.quirks import parse_count

MAX_NAME_BYTES = 200       # leaves room for "-<hash>.error.txt" under the usual 255-byte limit
SUFFIXES = {".csv": "csv", ".parquet": "parquet"}
# Names a browser or a copy tool gives a file it is still writing: left alone until renamed.
PARTIAL_SUFFIXES = (".part", ".partial", ".tmp", ".crdownload", ".download", "~")
MAX_PROBLEMS = 20          # row problems listed in a report; the quarantine holds all of them
QUARANTINE_VALUE_CHARS = MAX_FIELD_CHARS  # the dropped file is kept in processed/, so the quarantine may cut
CST = timezone(timedelta(hours=8))  # Beijing time, the Eastern dashboards' clock
DOCS = "docs/unified-format.md"


class Rejected(Exception):
    """A file that cannot be read at all: what is wrong, and what to do about it."""

    def __init__(self, problem: str, fix: str):
        super().__init__(problem)
        self.problem, self.fix = problem, fix


class RowProblem(ValueError):
    def __init__(self, column: str | None, message: str):
        super().__init__(message)
        self.column, self.message = column, message


@dataclass
class Counts:
    fetched: int = 0
    landed: int = 0
    quarantined: int = 0
    duplicates: int = 0

    @property
    def balanced(self) -> bool:
        return self.fetched == self.landed + self.quarantined + self.duplicates

    def add(self, other: "Counts") -> None:
        for k in ("fetched", "landed", "quarantined", "duplicates"):
            setattr(self, k, getattr(self, k) + getattr(other, k))


@dataclass
class FileReport:
    """What became of one dropped file."""

    file: str                 # the name as dropped
    status: str               # landed | duplicate | rejected | refused (outside the inbox) | failed (left to retry)
    kind: str = ""            # "unified audience", "weibo export", "commerce export"
    sha256: str = ""
    entities: dict[str, Counts] = field(default_factory=dict)
    slices: list[str] = field(default_factory=list)      # the landed Parquet files
    problems: list[str] = field(default_factory=list)    # the first MAX_PROBLEMS row problems
    error: str = ""           # why the file was rejected, and the fix
    moved_to: str = ""
    skipped: dict[str, int] = field(default_factory=dict)  # rows that are not records: blank, summary

    @property
    def balanced(self) -> bool:
        return all(c.balanced for c in self.entities.values())

    def line(self) -> str:
        name = _shown(self.file)
        if self.status in ("rejected", "refused", "failed"):
            return f"{self.status:<9} {name}: {self.error}"
        counts = "; ".join(f"{e} {c.fetched} = {c.landed} landed + {c.quarantined} quarantined + "
                           f"{c.duplicates} duplicates" for e, c in self.entities.items()) or "no rows"
        first = f" (first: {self.problems[0]})" if self.problems else ""
        return f"{self.status:<9} {name} [{self.kind}]: {counts}{first}"


# --------------------------------------------------------------------------- names


def _shown(name: str) -> str:
    """A name as it can be printed on one line: hostile names are shown escaped."""
    return name if name.isprintable() and name.strip() == name and name else repr(name)


def check_name(name: str) -> None:
    """Refuse a name that could escape the inbox or the lake, hide its true extension, or break a
    log line; the lake's own names are derived from it (``safe_stem``), never the name itself."""
    fix = "rename the file to letters, digits, spaces, '.', '-' and '_' (e.g. weibo_content_2026-03-10.csv)"
    if not name or name in (".", "..") or "/" in name or "\\" in name or "\x00" in name:
        raise Rejected(f"unsafe file name {name!r}: it names a path, not a file", fix)
    try:
        encoded = name.encode("utf-8")
    except UnicodeEncodeError:
        raise Rejected(f"unsafe file name {name!r}: not valid UTF-8", fix) from None
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in name):
        # Cc: newlines and other controls; Cf: invisible format marks such as the right-to-left override
        # that shows "evil\u202ecsv.exe" as "evilexe.vsc".
        raise Rejected(f"unsafe file name {name!r}: control or invisible characters", fix)
    if name.startswith("."):
        raise Rejected(f"unsafe file name {name!r}: hidden files are not processed", fix)
    if len(encoded) > MAX_NAME_BYTES:
        raise Rejected(f"file name is {len(encoded)} bytes long, over {MAX_NAME_BYTES}", "give the file a shorter name")


def safe_stem(name: str) -> str:
    """The part of a dropped file's name the lake's file names keep: letters (any script), digits,
    '.', '-' and '_' only, so no name can point anywhere but where the lake puts it."""
    stem = Path(unicodedata.normalize("NFC", name)).stem if name not in (".", "..") else ""
    stem = re.sub(r"[^\w.\-]+", "_", stem)
    stem = re.sub(r"_{2,}", "_", stem).strip("._-")[:80]
    return stem or "file"


def _day_in_name(name: str) -> date | None:
    for text in re.findall(r"(?<!\d)(\d{4}-\d{2}-\d{2})(?!\d)", name):
        try:
            return date.fromisoformat(text)
        except ValueError:
            continue
    return None


# --------------------------------------------------------------------------- reading


@dataclass
class Record:
    row: int              # spreadsheet row: the header is row 1 (Parquet: 1-based row index)
    line: int | None      # CSV: the text line the record starts on
    values: dict          # column -> raw value (str from CSV, typed from Parquet)
    problem: str | None = None  # a problem of the record's shape, found while reading


@dataclass
class Sheet:
    """A readable file: its header, and its records as a stream that can be read more than once
    (a first pass finds the KOLs' ids and any broken quoting before a row is validated), so a
    big file is never held as a list of rows."""

    columns: list[str]
    read: Callable[[], Iterator[Record]]
    blank_rows: int = 0  # rows of empty cells, counted by the last full pass
    parquet: pq.ParquetFile | None = None  # a Parquet file's reader

    def records(self) -> Iterator[Record]:
        return self.read()


@contextmanager
def csv_field_limit(limit: int = 64 * 2**20) -> Iterator[None]:
    # The csv module's default limit (128 KiB) would reject a whole file for one long cell; a long
    # cell is a row problem (quarantined), so the limit is raised while a file is read, then restored.
    old = csv.field_size_limit()
    csv.field_size_limit(max(old, limit))
    try:
        yield
    finally:
        csv.field_size_limit(old)


def read_csv(data: bytes) -> Sheet:
    utf8_fix = "save it as CSV UTF-8 (Excel: File › Save As › 'CSV UTF-8 (Comma delimited)'; WPS: 导出为 CSV UTF-8)"
    if not data.strip(b"\xef\xbb\xbf \t\r\n"):
        raise Rejected("the file is empty", "export it again: a file needs at least its header row")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise Rejected("the file is UTF-16 (Excel's 'Unicode text'), not UTF-8", utf8_fix)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        hint = ""
        try:
            data.decode("gb18030")
            hint = " (it reads as GBK/GB18030, the default of Chinese Excel)"
        except UnicodeDecodeError:
            pass
        raise Rejected(f"not UTF-8: byte 0x{data[exc.start]:02x} on line {line}{hint}", utf8_fix) from None
    if "\x00" in text:
        line = text[:text.index("\x00")].count("\n") + 1
        raise Rejected(f"not a text file: a NUL byte on line {line}", "drop a CSV (UTF-8) or a Parquet file")

    def parse() -> Iterator[tuple[int, int, list[str]]]:
        """(row, first line, fields) of every record, the header's included."""
        reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        start, row = 1, 0
        try:
            for fields in reader:
                row += 1
                yield row, start, fields
                start = reader.line_num + 1
        except csv.Error as exc:
            # After a quoting error the record boundaries are unknown: landing what follows could land
            # half-rows as rows, so the whole file waits for a fix.
            raise Rejected(f"malformed CSV on line {reader.line_num}: {exc}",
                           "a field holding a comma, a quote or a line break must be in double quotes, "
                           "with quotes inside it doubled (\"\"); export the file again or fix that line") from None

    header_row, columns = 0, None
    for row, _, fields in parse():
        if any(f.strip() for f in fields):  # blank lines before the header are no rows
            header_row, columns = row, _header(fields)
            break
    if columns is None:
        raise Rejected("the file is empty", "export it again: a file needs at least its header row")
    width = len(columns)

    def records() -> Iterator[Record]:
        blank = 0
        for row, line, fields in parse():
            if row <= header_row:
                continue
            if not any(f.strip() for f in fields):
                blank += 1  # a blank line or a row of empty cells (spreadsheets leave them): no record
                continue
            problem = None
            if len(fields) < width or (len(fields) > width and any(f.strip() for f in fields[width:])):
                problem = f"has {len(fields)} fields, the header has {width}"
            yield Record(row - header_row + 1, line, dict(zip(columns, fields)), problem)
        sheet.blank_rows = blank

    sheet = Sheet(columns, records)
    return sheet


def _header(fields: list[str]) -> list[str]:
    columns = [f.strip() for f in fields]
    while columns and not columns[-1]:
        columns.pop()  # spreadsheets pad rows with empty trailing cells
    fix = f"give every column a unique name in the header row (see {DOCS})"
    if not columns:
        raise Rejected("the header row is empty", fix)
    if "" in columns:
        raise Rejected(f"column {columns.index('') + 1} of the header has no name", fix)
    seen = set()
    for c in columns:
        if c.lower() in seen:
            raise Rejected(f"column {c!r} appears twice in the header", fix)
        seen.add(c.lower())
    return columns


PARQUET_FIX = ("write it again with a Parquet writer (pyarrow, pandas.to_parquet, DuckDB COPY ... TO 'x.parquet'), "
               "or drop a CSV")


def read_parquet(data: bytes | io.BufferedIOBase) -> Sheet:
    """A Parquet file (its bytes, or the open file: a big file is never read whole) as a Sheet;
    ``Sheet.parquet`` keeps the reader for the column-wise fast path (``ingestion/inbox_bulk.py``)."""
    fix = PARQUET_FIX
    try:
        parquet = pq.ParquetFile(io.BytesIO(data) if isinstance(data, (bytes, bytearray)) else data)
        names = parquet.schema_arrow.names
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise Rejected(f"not a readable Parquet file: {exc}", fix) from None
    if parquet.metadata.num_rows == 0 and not names:
        raise Rejected("the file is empty", "write the file again with its columns")
    columns = _header([str(c) for c in names])

    def records() -> Iterator[Record]:
        row = 0
        try:
            for batch in parquet.iter_batches(batch_size=10_000):
                for values in batch.to_pylist():
                    row += 1
                    yield Record(row, None, dict(zip(columns, values.values())))
        except (pa.ArrowException, OSError, ValueError) as exc:
            raise Rejected(f"not a readable Parquet file: {exc} (after row {row})", fix) from None

    sheet = Sheet(columns, records)
    sheet.parquet = parquet
    return sheet


# --------------------------------------------------------------------------- platform exports


class _Bad:
    """A value the export's own format could not be read from: the validator quarantines the row."""

    def __init__(self, message: str):
        self.message = message


_MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                                       "nov", "dec"), start=1)}


def _local_time(fmt: str, zone: tzinfo, described: str) -> Callable[[str], object]:
    def parse(text: str) -> object:
        text = (text or "").strip()
        if not text:
            return None
        try:
            ts = datetime.strptime(text, fmt)
        except ValueError:
            return _Bad(f"{text[:40]!r} is not a time as {described}")
        return (ts if ts.tzinfo else ts.replace(tzinfo=zone)).astimezone(timezone.utc)
    return parse


def _studio_date(text: str) -> object:
    # "Mar 10, 2026": parsed by hand, because strptime's %b follows the machine's locale.
    m = re.fullmatch(r"\s*([A-Za-z]{3})[a-z]*\.? (\d{1,2}), (\d{4})\s*", text or "")
    if not (text or "").strip():
        return None
    try:
        return date(int(m.group(3)), _MONTHS[m.group(1).lower()], int(m.group(2)))
    except (AttributeError, KeyError, ValueError):
        return _Bad(f"{(text or '')[:40]!r} is not a date as YouTube Studio writes it (Mar 10, 2026)")


def _clock_length(text: str) -> object:
    # Bilibili's 时长: "MM:SS", minutes not wrapped into hours ("120:05"), or "H:MM:SS".
    text = (text or "").strip()
    if not text:
        return None
    parts = text.split(":")
    if 2 <= len(parts) <= 3 and all(p.isdigit() for p in parts):
        seconds = 0
        for p in parts:
            seconds = seconds * 60 + int(p)
        return seconds
    return _Bad(f"{text[:40]!r} is not a length as MM:SS")


def _media(mapping: dict[str, str]) -> Callable[[str], object]:
    return lambda text: mapping.get((text or "").strip(), (text or "").strip().lower() or None)


@dataclass(frozen=True)
class Export:
    platform: str
    title: str
    header: tuple[str, ...]
    posts: dict[str, str]      # unified posts column -> the export's column
    metrics: dict[str, str]    # unified post_metrics column -> the export's column
    published: tuple[str, str, Callable[[str], object]]  # (export column, unified column, parser)
    converters: dict[str, Callable[[str], object]] = field(default_factory=dict)  # export column -> parser
    media_type: str | None = None   # when the export has no column for it
    post_extras: tuple[str, ...] = ()  # unmapped columns about the post (kept in posts' _extras)
    summary: Callable[[dict], bool] | None = None  # a row that sums the others, not a post

    @property
    def used(self) -> set[str]:
        return set(self.posts.values()) | set(self.metrics.values()) | {self.published[0]}


_T = "YYYY-MM-DD HH:MM:SS, Beijing time"
EXPORTS: tuple[Export, ...] = (
    Export("weibo", "Weibo creator centre content analysis (微博创作者中心 内容分析)",
           ("博主UID", "博主昵称", "微博ID", "发布时间", "微博内容", "阅读数", "转发数", "评论数", "点赞数"),
           posts={"account_id": "博主UID", "post_id": "微博ID", "post_text": "微博内容"},
           metrics={"account_id": "博主UID", "post_id": "微博ID", "views": "阅读数", "shares": "转发数",
                    "comments": "评论数", "likes": "点赞数"},
           published=("发布时间", "published_at", _local_time("%Y-%m-%d %H:%M", CST, "YYYY-MM-DD HH:MM, Beijing time")),
           post_extras=("博主昵称",)),
    Export("douyin", "Douyin creator centre works data (作品数据)",
           ("账号ID", "抖音昵称", "作品ID", "作品名称", "发布时间", "体裁", "播放量", "点赞量", "评论量", "分享量", "收藏量"),
           posts={"account_id": "账号ID", "post_id": "作品ID", "post_text": "作品名称", "media_type": "体裁"},
           metrics={"account_id": "账号ID", "post_id": "作品ID", "views": "播放量", "likes": "点赞量",
                    "comments": "评论量", "shares": "分享量", "saves": "收藏量"},
           published=("发布时间", "published_at", _local_time("%Y-%m-%d %H:%M:%S", CST, _T)),
           converters={"体裁": _media({"视频": "video", "直播": "live", "图文": "image"})},
           post_extras=("抖音昵称",)),
    Export("xiaohongshu", "Xiaohongshu creator platform note data (笔记数据)",
           ("账号ID", "小红书昵称", "笔记ID", "笔记标题", "首次发布时间", "体裁", "观看量", "点赞", "评论", "收藏", "分享"),
           posts={"account_id": "账号ID", "post_id": "笔记ID", "post_text": "笔记标题", "media_type": "体裁"},
           metrics={"account_id": "账号ID", "post_id": "笔记ID", "views": "观看量", "likes": "点赞",
                    "comments": "评论", "saves": "收藏", "shares": "分享"},
           published=("首次发布时间", "published_at", _local_time("%Y-%m-%d %H:%M:%S", CST, _T)),
           converters={"体裁": _media({"视频": "video", "图文": "image", "直播": "live"})},
           post_extras=("小红书昵称",)),
    Export("bilibili", "Bilibili creator centre archive data (稿件数据)",
           ("UP主UID", "UP主昵称", "稿件标题", "BV号", "AV号", "发布时间", "时长", "播放", "弹幕", "评论", "点赞", "投币",
            "收藏", "分享"),
           posts={"account_id": "UP主UID", "post_id": "AV号", "post_text": "稿件标题", "duration_s": "时长"},
           metrics={"account_id": "UP主UID", "post_id": "AV号", "views": "播放", "comments": "评论", "likes": "点赞",
                    "saves": "收藏", "shares": "分享"},
           published=("发布时间", "published_at", _local_time("%Y-%m-%d %H:%M:%S", CST, _T)),
           converters={"时长": _clock_length}, media_type="video", post_extras=("UP主昵称", "BV号")),
    Export("wechat", "WeChat Official Account content analysis (内容分析 › 群发分析)",
           ("公众号原始ID", "公众号名称", "msgid", "内容标题", "发表时间", "送达人数", "阅读人数", "阅读次数", "分享人数",
            "分享次数", "收藏人数", "收藏次数", "点赞数", "留言数", "阅读原文次数"),
           posts={"account_id": "公众号原始ID", "post_id": "msgid", "post_text": "内容标题"},
           metrics={"account_id": "公众号原始ID", "post_id": "msgid", "views": "阅读次数", "shares": "分享次数",
                    "saves": "收藏次数", "likes": "点赞数", "comments": "留言数"},
           published=("发表时间", "published_at", _local_time("%Y-%m-%d %H:%M", CST, "YYYY-MM-DD HH:MM, Beijing time")),
           media_type="article", post_extras=("公众号名称",)),
    Export("instagram", "Meta Business Suite content export",
           ("Post ID", "Account ID", "Account username", "Account name", "Description", "Duration (sec)",
            "Publish time", "Permalink", "Post type", "Data comment", "Date", "Impressions", "Reach", "Likes",
            "Shares", "Follows", "Comments", "Saves"),
           posts={"account_id": "Account ID", "post_id": "Post ID", "post_text": "Description",
                  "duration_s": "Duration (sec)", "url": "Permalink", "media_type": "Post type"},
           metrics={"account_id": "Account ID", "post_id": "Post ID", "views": "Impressions", "likes": "Likes",
                    "shares": "Shares", "comments": "Comments", "saves": "Saves"},
           # The demo writes UTC; Business Suite writes the account's time zone, which the file does not name.
           published=("Publish time", "published_at",
                      _local_time("%m/%d/%Y %H:%M", timezone.utc, "MM/DD/YYYY HH:MM, UTC")),
           converters={"Post type": _media({"IG reel": "video", "IG video": "video", "IG carousel": "carousel",
                                            "IG image": "image", "IG story": "story"})},
           post_extras=("Account username", "Account name")),
    Export("tiktok", "TikTok Studio analytics content export",
           ("Video ID", "Account ID", "Username", "Video title", "Video link", "Post time", "Duration (sec)",
            "Total views", "Total likes", "Total comments", "Total shares", "Add to Favorites"),
           posts={"account_id": "Account ID", "post_id": "Video ID", "post_text": "Video title", "url": "Video link",
                  "duration_s": "Duration (sec)"},
           metrics={"account_id": "Account ID", "post_id": "Video ID", "views": "Total views", "likes": "Total likes",
                    "comments": "Total comments", "shares": "Total shares", "saves": "Add to Favorites"},
           published=("Post time", "published_at",
                      _local_time("%Y-%m-%d %H:%M:%S", timezone.utc, "YYYY-MM-DD HH:MM:SS, UTC")),
           media_type="video", post_extras=("Username",)),
    Export("youtube", "YouTube Studio analytics content table (Table data.csv)",
           ("Channel ID", "Channel", "Content", "Video title", "Video publish time", "Duration", "Views", "Likes",
            "Comments added", "Shares"),
           posts={"account_id": "Channel ID", "post_id": "Content", "post_text": "Video title",
                  "duration_s": "Duration"},
           metrics={"account_id": "Channel ID", "post_id": "Content", "views": "Views", "likes": "Likes",
                    "comments": "Comments added", "shares": "Shares"},
           published=("Video publish time", "published_date", _studio_date),
           media_type="video", post_extras=("Channel",),
           # Studio's first row sums the others: empty ids, "Total" in Content.
           summary=lambda v: (v.get("Content") or "").strip() == "Total" and not (v.get("Channel ID") or "").strip()),
    Export("x", "X analytics tweet activity",
           ("Tweet id", "Account id", "Account username", "Tweet permalink", "Tweet text", "time", "impressions",
            "engagements", "engagement rate", "retweets", "replies", "likes"),
           posts={"account_id": "Account id", "post_id": "Tweet id", "post_text": "Tweet text",
                  "url": "Tweet permalink"},
           metrics={"account_id": "Account id", "post_id": "Tweet id", "views": "impressions", "shares": "retweets",
                    "comments": "replies", "likes": "likes"},
           published=("time", "published_at", _local_time("%Y-%m-%d %H:%M %z", timezone.utc, "YYYY-MM-DD HH:MM +0000")),
           post_extras=("Account username",)),
)
# The brand-collaboration dashboard's commerce.csv is the unified commerce entity, column for column.
COMMERCE_HEADER = UNIFIED["commerce"].names


# --------------------------------------------------------------------------- recognising a file


@dataclass
class Source:
    kind: str                 # "unified <entity>" | "<platform> export" | "commerce export"
    entities: tuple[str, ...]
    export: Export | None = None
    entity: str | None = None  # unified files: the entity; columns matched case-insensitively


def recognise(name: str, sheet: Sheet) -> Source:
    lowered = [c.lower() for c in sheet.columns]
    m = re.match(r"^([a-z_]+?)__", name.lower())
    if m:
        entity = m.group(1)
        if entity not in UNIFIED:
            raise Rejected(f"{m.group(1)!r} is not an entity of the unified format",
                           f"name the file <entity>__<anything>.csv with <entity> one of {', '.join(ENTITIES)}")
        _check_unified_header(entity, lowered)
        return Source(f"unified {entity}", (entity,), entity=entity)
    if set(COMMERCE_HEADER) <= set(lowered):
        _check_unified_header("commerce", lowered)
        return Source("commerce export", ("commerce",), entity="commerce")
    present = set(sheet.columns)
    for export in EXPORTS:
        if set(export.header) <= present:
            return Source(f"{export.platform} export", ("posts", "post_metrics"), export=export)
    # Unknown: say which known layout it is closest to and what it lacks.
    best, missing = None, None
    for export in EXPORTS:
        lack = [c for c in export.header if c not in present]
        if best is None or len(lack) < len(missing):
            best, missing = export.title, lack
    for entity, spec in UNIFIED.items():
        lack = [c.name for c in spec.columns if c.required and c.name not in lowered]
        if len(lack) < len(missing):
            best, missing = f"the unified {entity} format (name it {entity}__<anything>.csv)", lack
    header = ", ".join(sheet.columns[:8]) + (", ..." if len(sheet.columns) > 8 else "")
    near = (f"; closest: {best}, which also needs {', '.join(missing[:6])}" if missing is not None
            and len(missing) < len(sheet.columns) else "")
    raise Rejected(f"unknown header ({header}){near}",
                   "drop a platform's own dashboard export unchanged, or a unified file named "
                   f"<entity>__<anything>.csv "
                   f"with the columns of {DOCS}")


def _check_unified_header(entity: str, lowered: list[str]) -> None:
    spec = UNIFIED[entity]
    missing = [c.name for c in spec.columns if c.required and c.name not in lowered]
    missing += [" or ".join(group) for group in spec.one_of if not set(group) & set(lowered)]
    if missing:
        raise Rejected(f"the unified {entity} file lacks the required column(s) {', '.join(missing)}",
                       f"add them (the {entity} columns: {', '.join(spec.names)}; see {DOCS})")


@dataclass
class Candidate:
    """One record of the file as one row of one entity, before validation."""

    entity: str
    record: Record
    values: dict                 # unified column -> raw value
    extras: dict                 # the file's other columns -> raw value
    origin: dict[str, str]       # unified column -> the file's column it came from (for messages)


def candidates(source: Source, sheet: Sheet, name: str, skipped: dict[str, int]) -> Iterator[Candidate]:
    """Every record of the file as rows of the source's entities (an export's record as a post
    and its metrics); rows that are not records (a summary) are counted in ``skipped``."""
    if source.export is None:
        spec = UNIFIED[source.entity]
        by_lower = {c.lower(): c for c in sheet.columns}
        known = {by_lower[n]: n for n in spec.names if n in by_lower}
        origin = {n: c for c, n in known.items()}
        for rec in sheet.records():
            values = {known[c]: v for c, v in rec.values.items() if c in known}
            extras = {c: v for c, v in rec.values.items() if c not in known}
            yield Candidate(source.entity, rec, values, extras, origin)
        return
    export = source.export
    day = _day_in_name(name)
    snapshot_column = next((c for c in sheet.columns if c.strip().lower() == "snapshot_date"), None)
    if day is None and snapshot_column is None:
        raise Rejected(f"cannot tell which day the counters of this {export.title} describe",
                       f"keep the date in the file name as exported (e.g. {export.platform}_export_2026-03-10.csv) "
                       "or add a snapshot_date column (YYYY-MM-DD)")
    extra_columns = [c for c in sheet.columns if c not in export.used and c != snapshot_column]
    post_extras = [c for c in extra_columns if c in export.post_extras]
    metric_extras = [c for c in extra_columns if c not in export.post_extras]
    origin_posts = {**export.posts, export.published[1]: export.published[0]}
    origin_metrics = {**export.metrics, "snapshot_date": snapshot_column or "the file name's date"}
    for rec in sheet.records():
        raw = rec.values
        if export.summary and export.summary(raw):
            skipped["summary"] = skipped.get("summary", 0) + 1
            continue
        parsed = {c: export.converters[c](raw.get(c)) if c in export.converters else raw.get(c)
                  for c in export.used}
        parsed[export.published[0]] = export.published[2](raw.get(export.published[0]))
        post_values = {"platform": export.platform, **{u: parsed[c] for u, c in export.posts.items()},
                       export.published[1]: parsed[export.published[0]]}
        if export.media_type and "media_type" not in export.posts:
            post_values["media_type"] = export.media_type
        snapshot = (raw.get(snapshot_column) or "").strip() if snapshot_column else ""
        metric_values = {"platform": export.platform, **{u: parsed[c] for u, c in export.metrics.items()},
                         "snapshot_date": snapshot or (day.isoformat() if day else None)}
        yield Candidate("posts", rec, post_values, {c: raw.get(c) for c in post_extras}, origin_posts)
        yield Candidate("post_metrics", rec, metric_values, {c: raw.get(c) for c in metric_extras}, origin_metrics)


def kol_ids(source: Source, sheet: Sheet) -> dict[str, set[str]]:
    """Per platform, the KOLs' account ids of the file (every row's ``account_id``): they stay as they
    are wherever they appear, so a KOL's reply keeps the KOL's id as in the API lake. Reading every
    record once also finds broken quoting before anything is validated."""
    if source.export is not None:
        platform_column, account_column = None, source.export.posts["account_id"]
    else:
        by_lower = {c.lower(): c for c in sheet.columns}
        platform_column, account_column = by_lower.get("platform"), by_lower.get("account_id")
    keep: dict[str, set[str]] = {}
    for rec in sheet.records():
        account = rec.values.get(account_column)
        if _blank(account) or isinstance(account, bool) or not isinstance(account, (str, int)):
            continue
        platform = (source.export.platform if source.export
                    else _platform_of({"platform": rec.values.get(platform_column)}))
        keep.setdefault(platform, set()).add(str(account).strip())
    return keep


# --------------------------------------------------------------------------- validating a row


def _blank(value: object) -> bool:
    return value is None or (value.__class__ is str and (not value or value.isspace())) or (
        isinstance(value, float) and math.isnan(value))


_TRUE = frozenset({"true", "t", "yes", "y", "1", "是", "真"})
_FALSE = frozenset({"false", "f", "no", "n", "0", "否", "假"})
# How a spreadsheet shows a long numeric id it has turned into a float (digits lost): 1.77266E+15.
_SCIENTIFIC = re.compile(r"^\s*\d(?:\.\d+)?E\+\d+\s*$", re.I)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_NEGATIVE = re.compile(r"^\s*-\s*\d")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_MAX = {"count": 2**63 - 1, "int": 2**31 - 1}
Show = Callable[[object], str]


def _to_platform(value: object, show: Show, now: datetime) -> str:
    text = str(value).strip().lower()
    if text not in PLATFORMS:
        raise ValueError(f"{show(value)} is not a platform; one of {', '.join(PLATFORMS)}")
    return text


def _to_id(value: object, show: Show, now: datetime) -> str:
    if value.__class__ is not str:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{show(value)} is not text: ids must be written as text"
                             + (" (a floating-point number loses digits)" if isinstance(value, float) else ""))
        return str(value)
    text = value.strip()
    if _CONTROL.search(text):
        raise ValueError(f"{show(value)} holds control characters (a line break?)")
    if "E" in text.upper() and _SCIENTIFIC.match(text):
        raise ValueError(f"{show(value)} looks like a number a spreadsheet shortened; format the column as text "
                         "before exporting")
    return text


def _to_currency(value: object, show: Show, now: datetime) -> str:
    text = _to_id(value, show, now).upper()
    if not re.fullmatch(r"[A-Z]{3}", text):
        raise ValueError(f"{show(value)} is not a three-letter currency code (CNY, USD)")
    return text


def _to_text(value: object, show: Show, now: datetime) -> str:
    text = value if value.__class__ is str else str(value)
    if "\x00" in text:
        raise ValueError("holds a NUL character")
    return text


def _to_count(value: object, show: Show, now: datetime, kind: str = "count") -> int | None:
    if value.__class__ is str:
        text = value.strip()
        if text.isascii() and text.isdigit():  # the common case, without the display-string parser
            number = int(text)
        elif _NEGATIVE.match(text):
            raise ValueError(f"{show(value)} is negative")
        elif kind == "int":
            raise ValueError(f"{show(value)} is not a whole number")
        else:
            number = parse_count(text, "value")  # "1.2万", "10万+", "2.5k", "3,456"; "-" and "未知" are None
    else:
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
            raise ValueError(f"{show(value)} is negative")
        number = parse_count(value, "value")  # ints and whole floats; booleans refused
    if number is not None and number > _MAX[kind]:
        raise ValueError(f"{show(value)} is too large")
    return number


def _to_int(value: object, show: Show, now: datetime) -> int | None:
    return _to_count(value, show, now, "int")


def _to_bool(value: object, show: Show, now: datetime) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"{show(value)} is not true or false")


def _to_date(value: object, show: Show, now: datetime) -> date:
    if isinstance(value, datetime) and value.time() == time(0) and value.utcoffset() in (None, timedelta(0)):
        value = value.date()  # a date some writers (pandas) store as a midnight timestamp
    if isinstance(value, datetime):
        raise ValueError(f"{show(value)} is a time, not a date")
    if isinstance(value, date):
        day = value
    else:
        text = str(value).strip()
        if not _ISO_DATE.fullmatch(text):
            raise ValueError(f"{show(value)} is not a date as YYYY-MM-DD")
        day = date.fromisoformat(text)
    _check_when(datetime.combine(day, time(0), tzinfo=timezone.utc), show(value), now)
    return day


def _to_timestamp(value: object, show: Show, now: datetime, dates: bool = False) -> datetime:
    if isinstance(value, datetime):
        ts = value
    elif isinstance(value, date) and dates:
        ts = datetime.combine(value, time(0), tzinfo=timezone.utc)
    elif isinstance(value, str):
        text = value.strip()
        if dates and _ISO_DATE.fullmatch(text):
            ts = datetime.combine(date.fromisoformat(text), time(0), tzinfo=timezone.utc)
        else:
            try:
                ts = datetime.fromisoformat(text)
            except ValueError:
                raise ValueError(f"{show(value)} is not an ISO-8601 time (2026-03-05T05:40:00+08:00)") from None
    else:
        raise ValueError(f"{show(value)} is not a time")
    if ts.tzinfo is None or ts.utcoffset() is None:
        raise ValueError(f"{show(value)} has no time zone: add Z for UTC or an offset such as +08:00")
    ts = ts.astimezone(timezone.utc)
    _check_when(ts, show(value), now)
    return ts


def _to_money(value: object, show: Show, now: datetime) -> Decimal:
    if isinstance(value, bool):
        raise ValueError(f"{show(value)} is not an amount")
    try:
        amount = Decimal(repr(value) if isinstance(value, float) else str(value).strip().replace(",", ""))
    except InvalidOperation:
        raise ValueError(f"{show(value)} is not an amount (4546.34)") from None
    if not amount.is_finite():
        raise ValueError(f"{show(value)} is not an amount")
    if amount < 0:
        raise ValueError(f"{show(value)} is negative")
    if amount != amount.quantize(Decimal("0.0001")):
        raise ValueError(f"{show(value)} has more than 4 decimals")
    if amount >= Decimal(10) ** 14:
        raise ValueError(f"{show(value)} is too large")
    return amount


CONVERTERS: dict[str, Callable[[object, Show, datetime], object]] = {
    "platform": _to_platform, "id": _to_id, "code": _to_id, "currency": _to_currency, "text": _to_text,
    "count": _to_count, "int": _to_int, "bool": _to_bool, "date": _to_date, "timestamp": _to_timestamp,
    "timestamp_or_date": lambda v, show, now: _to_timestamp(v, show, now, dates=True), "money": _to_money,
}


def convert(kind: str, value: object, show: Show, now: datetime) -> object:
    """A raw value as the contract's type, or a ValueError saying what is wrong with it."""
    if isinstance(value, _Bad):
        raise ValueError(value.message)
    return CONVERTERS[kind](value, show, now)


def _check_when(ts: datetime, shown: str, now: datetime) -> None:
    if ts > now + FUTURE_SLACK:
        raise ValueError(f"{shown} is in the future (after {(now + FUTURE_SLACK):%Y-%m-%d %H:%M} UTC)")
    if ts < EARLIEST:
        raise ValueError(f"{shown} is before 2000: a wrong unit or a typing error?")


def _quote(value: object) -> str:
    if isinstance(value, str):
        return repr(value if len(value) <= 40 else value[:40] + "…")
    return repr(value)


def _withheld(_: object) -> str:
    return "the value"  # a follower's id or handle is never quoted, not even in a reason


def _label(cand: Candidate, column: str) -> str:
    """A column as the user knows it: an export's own name beside the unified one."""
    named = cand.origin.get(column, column)
    return column if named == column else f"{named} ({column})"


def validate(spec: Entity, cand: Candidate, now: datetime) -> dict:
    """A candidate as a row of the landed contract, or a RowProblem naming the column."""
    if cand.record.problem:
        raise RowProblem(None, cand.record.problem)
    row: dict = {}
    values = cand.values
    for col in spec.columns:
        raw = values.get(col.name)
        if _blank(raw):
            if col.required:
                raise RowProblem(_label(cand, col.name), f"{_label(cand, col.name)} is required but empty")
            row[col.name] = None
            continue
        if raw.__class__ is str and len(raw) > MAX_FIELD_CHARS:
            named = _label(cand, col.name)
            raise RowProblem(named, f"{named}: {len(raw):,} characters, over the limit of {MAX_FIELD_CHARS:,}")
        try:
            row[col.name] = convert(col.kind, raw, _withheld if col.pii else _quote, now)
        except ValueError as exc:
            named = _label(cand, col.name)
            raise RowProblem(named, f"{named}: {exc}") from None
    for group in spec.one_of:
        if all(row.get(c) is None for c in group):
            raise RowProblem(group[0], f"needs {' or '.join(group)}")
    for column, value in cand.extras.items():
        if value.__class__ is str and len(value) > MAX_FIELD_CHARS:
            raise RowProblem(column, f"{column}: {len(value):,} characters, over the limit of {MAX_FIELD_CHARS:,}")
    for col in spec.columns:
        if col.pii == "handle" and row.get(col.name) is not None:
            # Derived before pseudonymisation (what fake-follower rules read), and the derived value wins.
            row[f"{col.name}_length"] = len(row[col.name])
            row[f"{col.name}_digit_count"] = sum(ch in "0123456789" for ch in row[col.name])
    return row


def row_day(spec: Entity, row: dict) -> date | None:
    for column in spec.day_from:
        value = row.get(column)
        if isinstance(value, datetime):
            return value.astimezone(timezone.utc).date()
        if isinstance(value, date):
            return value
    return None


def bad_row_day(spec: Entity, cand: Candidate, now: datetime) -> date | None:
    """The day of a row that failed on another column, so it is quarantined beside its own day."""
    for column in spec.day_from:
        try:
            value = convert(spec.column(column).kind, cand.values.get(column), _quote, now)
        except (ValueError, TypeError, AttributeError):
            continue
        day = row_day(spec, {column: value})
        if day is not None:
            return day
    return None


# --------------------------------------------------------------------------- privacy


def _scrub(payload: dict, personal: set[str], platform: str, keep: set[str], also: tuple[str, ...] = ()) -> dict:
    """A copy of a raw row (or of its extra columns) with every person-naming value pseudonymised: the
    entity's PII columns, columns named like a person in the platforms' payloads (``PERSON_KEYS``:
    ``username``, ``user_id``...), and any of those raw values (or ``also``) inside other text."""
    key = pseudonym_key()
    found: dict[str, str] = {}
    for raw in also:
        if raw and raw not in keep:
            found.setdefault(raw, pseudonymise(raw, platform, key))
    out = {}
    for column, value in payload.items():
        norm = str(column).strip().lower()
        if (norm in personal or column in PERSON_KEYS) and not _blank(value) and not isinstance(value, bool) \
                and isinstance(value, (str, int)) and str(value).strip() not in keep:
            raw = str(value).strip()
            out[column] = found.setdefault(raw, pseudonymise(raw, platform, key))
        else:
            out[column] = value
    aliases = set(found.values())
    for column, value in out.items():
        if isinstance(value, str) and value not in aliases:
            for raw, alias in found.items():
                if len(raw) >= 4 and raw in value:
                    value = value.replace(raw, alias)
            out[column] = value
    return out


def _platform_of(values: dict) -> str:
    text = str(values.get("platform") or "").strip().lower()
    return text if text in PLATFORMS else SOURCE  # an unknown platform still gets a (separate) pseudonym


def _person(spec: Entity) -> tuple[str | None, set[str]]:
    """The entity's identity column (its first PII id) and all its PII columns."""
    pii = {c.name for c in spec.columns if c.pii}
    identity = next((c.name for c in spec.columns if c.pii == "id"), None)
    return identity, pii


def _private_raw(spec: Entity, values: dict, keep: set[str]) -> tuple[set[str], tuple[str, ...]]:
    """Which columns of this row to pseudonymise, and their raw values: none of a KOL's own row."""
    identity, pii = _person(spec)
    if identity is None:
        return set(), ()
    if str(values.get(identity) or "").strip() in keep:
        return set(), ()  # the KOL's own reply: its id and handle stay, as in the API lake
    raws = tuple(str(values[c]).strip() for c in pii if not _blank(values.get(c)) and not isinstance(values[c], bool))
    return pii, raws


def _mask_inside(spec: Entity, row: dict, platform: str, raws: tuple[str, ...]) -> None:
    """The row's own follower id or handle quoted in its other text ("@lily_2024 说得对") is replaced
    by its pseudonym too, as quarantined payloads are; other people named in a text are not known."""
    key = pseudonym_key()
    for col in spec.columns:
        value = row.get(col.name)
        if col.kind != "text" or not isinstance(value, str):  # ids are compared, never rewritten
            continue
        for raw in raws:
            if len(raw) >= 4 and raw in value:
                value = value.replace(raw, pseudonymise(raw, platform, key))
        row[col.name] = value


def _cut(payload: dict) -> dict:
    # The dropped file is kept whole in processed/, so a quarantined record need not repeat a huge cell.
    return {k: (v[:QUARANTINE_VALUE_CHARS] + f"… [{len(v):,} characters]" if isinstance(v, str)
                and len(v) > QUARANTINE_VALUE_CHARS else v) for k, v in payload.items()}


# --------------------------------------------------------------------------- landing


def files_dir(lake: Path, zone: str, entity: str, day: date) -> Path:
    # Names come from fixed vocabularies, never from input, so no path can escape the lake.
    if zone not in ("raw", "quarantine") or entity not in UNIFIED or not isinstance(day, date):
        raise ValueError(f"refusing files path for zone={zone!r} entity={entity!r} day={day!r}")
    return lake / zone / SOURCE / entity / f"dt={day.isoformat()}"


@dataclass
class _Slice:
    rows: dict[tuple, tuple] = field(default_factory=dict)  # natural key -> landed values, schema order
    quarantined: list[dict] = field(default_factory=list)
    duplicates: int = 0
    fetched: int = 0


@dataclass
class _Plan:
    """One entity of a file on its way to the lake: per-day slices and what the manifest says."""

    spec: Entity
    slices: dict[date, _Slice] = field(default_factory=dict)
    where: dict[tuple, tuple[date, int]] = field(default_factory=dict)  # key -> (day, row) of its kept row
    undated: list[dict] = field(default_factory=list)  # quarantined rows whose own day is unknown
    days: dict[date, int] = field(default_factory=dict)
    duplicate_rows: list[int] = field(default_factory=list)
    new_fields: dict[str, int] = field(default_factory=dict)
    fetched: int = 0

    def slice(self, day: date) -> _Slice:
        return self.slices.setdefault(day, _Slice())


def _jsonable(value: object) -> object:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    return value


def plan_file(source: Source, sheet: Sheet, name: str, sha: str, keep: dict[str, set[str]], now: datetime,
              report: FileReport) -> dict[str, _Plan]:
    """Validate every row of the file, in one pass, into per-entity, per-day slices: rows to land,
    rows to quarantine (with the reason, file, row and column) and repeats of a natural key."""
    plans = {entity: _Plan(UNIFIED[entity]) for entity in source.entities}
    names = {entity: content_schema(entity).names for entity in source.entities}
    skipped: dict[str, int] = {}

    def note(message: str) -> None:
        if len(report.problems) < MAX_PROBLEMS:
            report.problems.append(message)

    for c in candidates(source, sheet, name, skipped):
        plan, spec = plans[c.entity], plans[c.entity].spec
        plan.fetched += 1
        platform = _platform_of(c.values)
        mine = keep.get(platform, set())
        personal, raws = _private_raw(spec, c.values, mine) if c.entity in PERSONAL_ENTITIES else (set(), ())
        try:
            row = validate(spec, c, now)
        except RowProblem as problem:
            payload = _cut(c.record.values)
            if c.entity in PERSONAL_ENTITIES:
                payload = _scrub(payload, personal, platform, mine, raws)
            record = {"reason": problem.message, "source": SOURCE, "entity": c.entity, "file": name, "sha256": sha,
                      "row": c.record.row, "line": c.record.line, "column": problem.column,
                      "payload": {k: _jsonable(v) for k, v in payload.items()}}
            day = bad_row_day(spec, c, now)
            if day is None:
                plan.undated.append(record)
            else:
                plan.slice(day).quarantined.append(record)
                plan.slice(day).fetched += 1
            note(f"{c.entity} {name}, row {c.record.row}: {problem.message}")
            continue
        day = row_day(spec, row)
        plan.days[day] = plan.days.get(day, 0) + 1
        key = tuple(row[k] for k in spec.key)
        if key in plan.where:
            # The last repeat wins, as in landing.normalize: the earlier row becomes the duplicate.
            old_day, old_row = plan.where[key]
            del plan.slices[old_day].rows[key]
            plan.slices[old_day].duplicates += 1
            plan.duplicate_rows.append(old_row)
            note(f"{c.entity} {name}, row {old_row}: its key ({', '.join(spec.key)}) comes again in row "
                 f"{c.record.row}; the later row is kept")
        if raws:
            _mask_inside(spec, row, platform, raws)
        extras = {k: _jsonable(v) for k, v in c.extras.items() if not _blank(v)}
        for k in extras:
            plan.new_fields[k] = plan.new_fields.get(k, 0) + 1
        if extras and c.entity in PERSONAL_ENTITIES:
            extras = _scrub(extras, personal, platform, mine, raws)
        row[EXTRAS_COLUMN] = json.dumps(extras, ensure_ascii=False, sort_keys=True) if extras else None
        target = plan.slice(day)
        target.rows[key] = tuple(row.get(n) for n in names[c.entity])
        target.fetched += 1
        plan.where[key] = (day, c.record.row)
    report.skipped = {**({"blank": sheet.blank_rows} if sheet.blank_rows else {}), **skipped}
    for entity, plan in plans.items():
        if plan.undated:
            # A bad row without a day of its own: the day in the file's name, else the file's most common day.
            day = _day_in_name(name) or (max(sorted(plan.days), key=plan.days.get) if plan.days else now.date())
            plan.slice(day).quarantined += plan.undated
            plan.slice(day).fetched += len(plan.undated)
        counts = report.entities.setdefault(entity, Counts())
        for s in plan.slices.values():
            counts.add(Counts(s.fetched, len(s.rows), len(s.quarantined), s.duplicates))
        if counts.fetched != plan.fetched or not counts.balanced:  # each slice is checked again as it is written
            raise AssertionError(f"{name}/{entity}: {plan.fetched} rows, {counts}")
    return plans


def _land_file(lake: Path, name: str, sha: str, source: Source, plans: dict[str, _Plan], now: datetime,
               keep: dict[str, set[str]], report: FileReport) -> None:
    output = f"{safe_stem(name)}-{sha[:12]}"
    # The file's accounting goes into every slice's manifest, so any one of them tells the whole story.
    accounting = {e: vars(c) for e, c in report.entities.items()}
    written: set[Path] = set()
    for entity, plan in plans.items():
        for day, s in sorted(plan.slices.items()):
            table = _table(entity, [s.rows[k] for k in sorted(s.rows, key=lambda t: tuple(str(v) for v in t))], keep)
            data_dir = files_dir(lake, "raw", entity, day)
            slice_report = SliceReport(SOURCE, entity, day.isoformat(), fetched=s.fetched, landed=table.num_rows,
                                       quarantined=len(s.quarantined), duplicates=s.duplicates,
                                       path=str(data_dir / f"{output}.parquet"), schema_version=FORMAT_VERSION)
            quarantine = files_dir(lake, "quarantine", entity, day) / f"{output}.jsonl"
            manifest = data_dir / f"_manifest-{output}.json"
            extra = {"source_file": name, "sha256": sha, "kind": source.kind, "format_version": FORMAT_VERSION,
                     "landed_at": now.isoformat(), "skipped_rows": report.skipped, "file_accounting": accounting,
                     "new_fields": plan.new_fields, "duplicate_rows": plan.duplicate_rows[:1000]}
            # _loaded_at is the run's moment, as landed_at: every file of one inbox run shares it.
            write_slice(slice_report, table, s.quarantined, manifest, quarantine, extra, loaded_at=now)
            written |= {Path(slice_report.path), quarantine, manifest}
            report.slices.append(slice_report.path)
    # Copies of the same output that this run did not rewrite (the same content landed on other days,
    # e.g. before a validation change, or bad rows dated by the day it was dropped) are replaced, not kept.
    for zone, pattern in (("raw", f"dt=*/{output}.parquet"), ("raw", f"dt=*/_manifest-{output}.json"),
                          ("quarantine", f"dt=*/{output}.jsonl")):
        for entity in ENTITIES:
            for stale in (lake / zone / SOURCE / entity).glob(pattern):
                if stale not in written:
                    stale.unlink()


def _table(entity: str, rows: list[tuple], keep: dict[str, set[str]]) -> pa.Table:
    schema = content_schema(entity)
    columns = list(zip(*rows)) if rows else [()] * len(schema)
    table = pa.Table.from_arrays([pa.array(col, type=f.type) for col, f in zip(columns, schema)], schema=schema)
    if entity not in PERSONAL_ENTITIES or table.num_rows == 0:
        return table
    # Pseudonyms are keyed by platform, as in the API lake, so the same follower gets the same
    # pseudonym from a file and from a pull: protect one platform at a time.
    parts = []
    for platform in sorted(set(table.column("platform").to_pylist())):
        part = table.filter(pc.equal(table.column("platform"), platform))
        parts.append(protect(part, platform, keep.get(platform, set())).select(schema.names).cast(schema))
    return pa.concat_tables(parts)


# --------------------------------------------------------------------------- moving files


def _free(directory: Path, name: str) -> Path:
    """``directory/name``, or ``name-2``, ``name-3``...: a move never replaces an earlier file."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    stem, suffix = Path(name).stem, Path(name).suffix
    n = 1
    while path.exists() or path.is_symlink() or (directory / f"{path.name}.error.txt").exists():
        n += 1
        path = directory / f"{stem}-{n}{suffix}"
    return path


def _safe_name(name: str, sha: str) -> str:
    """The name a rejected or processed file keeps: its own when safe, else a cleaned one."""
    try:
        check_name(name)
        return name
    except Rejected:
        suffix = re.sub(r"[^\w.]", "", Path(name).suffix)[:12] if "\x00" not in name and "/" not in name else ""
        return f"{safe_stem(name)}-{(sha or 'unread')[:12]}{suffix}"


def _reject(inbox: Path, path: Path, name: str, sha: str, problem: Rejected, report: FileReport) -> None:
    target = _free(inbox / "rejected", _safe_name(name, sha))
    text = (f"file: {_shown(name)}\nsha256: {sha or '-'}\nproblem: {problem.problem}\nfix: {problem.fix}\n"
            f"Drop the fixed file in the inbox again; the format is described in {DOCS}.\n")
    note = target.with_name(target.name + ".error.txt")
    tmp = note.with_name(f".{note.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, note)
    os.rename(path, target)  # the link itself if it is one, never what it points at
    report.moved_to = str(target)


# --------------------------------------------------------------------------- the inbox


def _already_landed(lake: Path, sha: str, output: str) -> tuple[str, dict] | None:
    """The earlier drop of the same content under another name, if any."""
    for manifest in sorted((lake / "raw" / SOURCE).glob(f"*/dt=*/_manifest-*-{sha[:12]}.json")):
        if manifest.name == f"_manifest-{output}.json":
            continue
        try:
            body = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if body.get("sha256") == sha:
            return body.get("source_file", manifest.name), body.get("file_accounting", {})
    return None


def _ignored(name: str) -> bool:
    # Hidden names are copies in progress (write ".x.csv", then rename) and the inbox's own lock file.
    return name.startswith(".") or name.lower().endswith(PARTIAL_SUFFIXES)


def _process(inbox: Path, lake: Path, path: Path, now: datetime) -> FileReport:
    name = path.name
    report = FileReport(file=name, status="rejected")
    sha = ""
    files = ExitStack()
    try:
        check_name(name)
        st = os.lstat(path)
        if stat.S_ISLNK(st.st_mode):
            raise Rejected("the file is a symbolic link", "copy the file itself into the inbox")
        if not stat.S_ISREG(st.st_mode):
            raise Rejected("not a regular file", "drop a CSV or Parquet file")
        suffix = Path(name).suffix.lower()
        if suffix not in SUFFIXES:
            raise Rejected(f"{suffix or 'no extension'}: not a .csv or .parquet file",
                           "export CSV (UTF-8) or Parquet, with that extension")
        fh = files.enter_context(open(path, "rb", opener=lambda p, flags: os.open(p, flags | os.O_NOFOLLOW)))
        if SUFFIXES[suffix] == "parquet":
            # Hashed in chunks and read from the open file: a bulk export is never held whole.
            digest = hashlib.sha256()
            while chunk := fh.read(8 * 2**20):
                digest.update(chunk)
            fh.seek(0)
            data = fh
        else:
            data = fh.read()
            digest = hashlib.sha256(data)
        sha = report.sha256 = digest.hexdigest()
        with csv_field_limit():
            sheet = read_csv(data) if SUFFIXES[suffix] == "csv" else read_parquet(data)
            source = recognise(name, sheet)
            report.kind = source.kind
            from ingestion import inbox_bulk  # the column-wise path of unified Parquet files

            bulk = sheet.parquet is not None and inbox_bulk.applies(source, suffix)
            if bulk:
                keep = inbox_bulk.kol_ids(sheet.parquet, source, PARQUET_FIX)
            else:
                keep = kol_ids(source, sheet)  # a full first pass: broken quoting is found before anything else
            earlier = _already_landed(lake, sha, f"{safe_stem(name)}-{sha[:12]}")
            if earlier:
                report.status = "duplicate"
                for entity, counts in earlier[1].items():
                    report.entities[entity] = Counts(fetched=counts.get("fetched", 0),
                                                     duplicates=counts.get("fetched", 0))
                report.problems.append(f"the same content was landed from {_shown(earlier[0])}: nothing landed again")
            elif bulk:
                inbox_bulk.land(sheet.parquet, lake, name, sha, source, keep, now, report, PARQUET_FIX)
                report.status = "landed"
            else:
                plans = plan_file(source, sheet, name, sha, keep, now, report)
                _land_file(lake, name, sha, source, plans, now, keep, report)
                report.status = "landed"
        files.close()
        target = _free(inbox / "processed" / now.date().isoformat(), name)
        os.rename(path, target)
        report.moved_to = str(target)
    except Rejected as problem:
        files.close()
        report.status, report.kind, report.entities, report.problems = "rejected", report.kind, {}, []
        report.error = f"{problem.problem}; fix: {problem.fix}"
        _reject(inbox, path, name, sha, problem, report)
    finally:
        files.close()
    return report


@contextmanager
def _locked(inbox: Path) -> Iterator[None]:
    # Two runs at once would land the same file twice over and race on the moves.
    with open(inbox / ".inbox.lock", "a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RuntimeError(f"another process is processing the inbox {inbox}") from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _now(now: datetime | None) -> datetime:
    return (now or datetime.now(timezone.utc)).astimezone(timezone.utc)


def process_inbox(inbox: Path | None = None, lake: Path | None = None, *,
                  now: datetime | None = None) -> list[FileReport]:
    """Process every file dropped in the inbox, in name order; one report per file. Directories
    (``processed/``, ``rejected/``), hidden names and partial downloads are left alone."""
    inbox = Path(inbox or settings.inbox_dir())
    lake = Path(lake or settings.lake_dir())
    inbox.mkdir(parents=True, exist_ok=True)
    now = _now(now)
    reports = []
    with _locked(inbox):
        for entry in sorted(os.scandir(inbox), key=lambda e: e.name):
            if _ignored(entry.name) or entry.is_dir(follow_symlinks=False):
                continue
            reports.append(_guarded(inbox, lake, Path(entry.path), now))
    return reports


def process_file(path: Path, inbox: Path | None = None, lake: Path | None = None, *,
                 now: datetime | None = None) -> FileReport:
    """Process one file, which must be directly inside the inbox: anything else is refused and left
    where it is (a name such as ``../x.csv`` never reaches outside the inbox)."""
    inbox = Path(inbox or settings.inbox_dir())
    lake = Path(lake or settings.lake_dir())
    path = Path(path)
    raw = str(path)
    inside = (path.parent.resolve() == inbox.resolve() and path.name not in ("", ".", "..")
              and "\x00" not in raw and ".." not in path.parts)
    if not inside:
        return FileReport(file=raw, status="refused",
                          error=f"{_shown(raw)} is not a file directly inside the inbox {inbox}; "
                                "nothing was read or moved")
    inbox.mkdir(parents=True, exist_ok=True)
    with _locked(inbox):
        return _guarded(inbox, lake, path, _now(now))


def _guarded(inbox: Path, lake: Path, path: Path, now: datetime) -> FileReport:
    try:
        return _process(inbox, lake, path, now)
    except Exception as exc:  # one file's failure (a full disk, a bug) must not stop the others
        return FileReport(file=path.name, status="failed",
                          error=f"{type(exc).__name__}: {exc}; the file stays in the inbox and is tried again next run")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Land the files dropped in the inbox (see docs/unified-format.md).")
    parser.add_argument("--inbox", type=Path, default=None, help="default: KOL_INBOX_DIR ($KOL_DATA_DIR/inbox)")
    parser.add_argument("--lake", type=Path, default=None, help="default: KOL_LAKE_DIR")
    args = parser.parse_args(argv)
    inbox = args.inbox or settings.inbox_dir()
    reports = process_inbox(inbox, args.lake)
    for report in reports:
        print(report.line())
    if not reports:
        print(f"nothing to process in {inbox}")
    # Rejected and failed files need a person; quarantined rows are in the quarantine and the counts.
    return 1 if any(r.status in ("rejected", "failed") for r in reports) else 0


if __name__ == "__main__":
    sys.exit(main())
