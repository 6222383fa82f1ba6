"""What the demo platforms share: the request they answered, their clock, paging.

Every platform module exposes ``handle(request) -> Response`` and speaks its own
native format; this module only holds the plumbing they have in common.
"""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from ingestion.demo.world import World
from ingestion.platforms.base import EXPORT_DATE_PARAM



@dataclass
class Request:
    method: str
    path: str  # below the platform prefix, e.g. "/2/users/show.json"
    params: dict[str, str]
    headers: dict[str, str]
    base_url: str  # e.g. "http://127.0.0.1:8765/instagram"


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
        if kind != "offset":
            raise ValueError(kind)
        return int(value)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest(400, 100, "invalid paging cursor") from None
