"""What the demo platforms share: the request they answered, their clock, paging.

Every platform module exposes ``handle(request) -> Response`` and speaks its own
native format; this module only holds the plumbing they have in common.
"""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Callable, Mapping

from ingestion.demo.world import World
from ingestion.platforms.base import EXPORT_DATE_PARAM



@dataclass
class Request:
    method: str
    path: str  # below the platform prefix, e.g. "/2/users/show.json"
    params: dict[str, str]
    headers: dict[str, str]
    base_url: str  # e.g. "http://127.0.0.1:8765/instagram"
    json: dict | None = None  # a POST's JSON body (WeChat's datacube endpoints)
    # Set by the fault injector for page-numbered lists: items it returns False for are late rows,
    # which the platform leaves out before it cuts the list into pages.
    item_filter: Callable[[dict], bool] | None = None


@dataclass
class Response:
    status: int
    body: object
    headers: dict[str, str] = field(default_factory=dict)

    def encode(self) -> bytes:
        return json.dumps(self.body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


@dataclass
class Platform:
    world: World
    token: str


class BadRequest(Exception):
    """A request the platform rejects; each platform renders it in its own envelope."""

    def __init__(self, status: int, code: int, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def export_day(params: dict[str, str]) -> date:
    raw = params.get(EXPORT_DATE_PARAM)
    today = datetime.now(timezone.utc).date()
    if raw is None:
        return today - timedelta(days=1)
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise BadRequest(400, 100, f"{EXPORT_DATE_PARAM} must be YYYY-MM-DD, got {raw!r}") from None
    if day >= today:
        raise BadRequest(400, 100, f"{EXPORT_DATE_PARAM} {raw} is not a finished day yet")
    return day


def end_of(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=timezone.utc) + timedelta(days=1) - timedelta(microseconds=1)


def int_param(params: dict[str, str], name: str, default: int, maximum: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(400, 100, f"parameter {name} must be an integer, got {raw!r}") from None
    if value < 0:
        raise BadRequest(400, 100, f"parameter {name} must not be negative")
    return min(value, maximum)


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, value = text.split(":", 1)
        if kind != "offset" or int(value) < 0:
            raise ValueError(kind)
        return int(value)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest(400, 100, "invalid paging cursor") from None


@dataclass(frozen=True)
class FaultDialect:
    """How one platform says what the fault injector (``faults.py``) makes it say.

    Each demo platform module defines ``FAULT_DIALECT``; the injector stays generic.
    Codes and messages are the platform's real ones (``shared/platforms.md``).
    """

    envelope: Callable[..., dict]  # (req, code, message, **extra) -> the platform's error body
    throttle_codes: Mapping[int, str]  # throttle codes the platform puts in HTTP 200 bodies
    default_throttle: int
    http_429: tuple[int, str, dict]  # code, message, extra fields of an HTTP 429 body
    transient: tuple[int, str, dict]  # the platform's "retry later" error (served as HTTP 500)
    expired: tuple[int, str, dict]  # expired token: code, message ({expired}, {now} filled in), extra
    list_keys: tuple[str, ...]  # where list pages keep their items; dotted paths such as "data.list"
    cursor_params: tuple[str, ...]  # request parameters that carry a page cursor
    new_field: tuple[str, object]  # a field the platform might add one day
    count_fields: tuple[str, ...]  # counts that can arrive as display strings (dotted paths allowed)
    display_count: Callable[[int], str]
    optional_fields: tuple[str, ...]  # fields that can go missing, first present wins
    item_time: Callable[[dict], datetime | None]  # when a list item was created (for late rows)
    next_cursor: Callable[[dict], str | None]  # the cursor of the next page, None on the last
    throttle_headers: Mapping[str, str] = field(default_factory=dict)
    expired_status: int = 400
    expired_headers: Mapping[str, str] = field(default_factory=dict)
    # Daily quota exhausted: HTTP status, code, message, extra; None where the platform has no daily quota.
    quota: tuple[int, int | str, str, dict] | None = None
    throttle_extra: Mapping[str, object] = field(default_factory=dict)  # extra fields of a throttle-in-200 body
    method: str = "GET"
    # Page-number paging (Bilibili pn/ps): a connector stops on a short page, so late rows
    # cannot be cut out of a page; the injector hands the platform a filter (Request.item_filter) instead.
    page_numbered: bool = False


def dig(body: object, path: str) -> object:
    """``dig(body, "data.list")``: the value at a dotted path, or None."""
    for key in path.split("."):
        if not isinstance(body, dict):
            return None
        body = body.get(key)
    return body


def display_count_cn(n: int) -> str:
    """Chinese display counts: 12345 -> "1.2万", 123456789 -> "1.2亿"."""
    for unit, size in (("亿", 100_000_000), ("万", 10_000)):
        if n >= size:
            return f"{n / size:.1f}".removesuffix(".0") + unit
    return str(n)


def cookie(req: Request, name: str) -> str | None:
    """One cookie's value from the request's ``Cookie`` header (Bilibili SESSDATA, Xiaohongshu web_session)."""
    for part in req.headers.get("cookie", "").split(";"):
        key, eq, value = part.strip().partition("=")
        if eq and key == name:
            return value
    return None


def iso_time_param(req: Request, name: str) -> datetime | None:
    """An RFC 3339 time parameter (X's start_time, YouTube's publishedAfter); raises ValueError
    when it is not one, so each platform can word the error its own way."""
    raw = req.params.get(name)
    if raw is None:
        return None
    ts = datetime.fromisoformat(raw)
    if ts.tzinfo is None:
        raise ValueError(raw)
    return ts.astimezone(timezone.utc)


def epoch_seconds(ts: object) -> datetime | None:
    """An epoch-seconds field as a UTC time, or None when it is absent or not an integer."""
    if isinstance(ts, bool) or not isinstance(ts, int):
        return None
    try:
        return datetime.fromtimestamp(ts, timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None
