"""Parsers for the platforms' quirks, shared by every normaliser.

Counts arrive as integers, as strings of integers (YouTube's statistics), as display
strings (``"1.2万"``, ``"10万+"``, ``"2.5k"``, ``"3,456"``) or as a sign that the
platform does not know (TikTok ``"-"``, Xiaohongshu ``"未知"``). Times arrive as
Weibo's ``Tue May 31 17:46:55 +0800 2011``, epoch seconds, epoch milliseconds,
``+0000`` offsets without a colon, or ISO-8601 with ``Z``. Each parser returns a
value of the data contract's type, ``None`` where the platform said "unknown", and
raises ``ValueError`` naming the problem for anything else, so that the record is
quarantined with that reason instead of landing a wrong number.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from functools import lru_cache

UNKNOWN_COUNTS = frozenset({"", "-", "--", "—", "未知", "N/A", "n/a"})
_UNITS = {"万": 10_000, "w": 10_000, "W": 10_000, "亿": 100_000_000, "k": 1_000, "K": 1_000, "千": 1_000,
          "m": 1_000_000, "M": 1_000_000, "b": 1_000_000_000, "B": 1_000_000_000}
_DISPLAY = re.compile(r"^(?P<num>\d+(?:\.\d+)?)\s*(?P<unit>[万wW亿kK千mMbB])?(?P<plus>\+)?$")
_GROUPED = re.compile(r"^\d{1,3}(?:,\d{3})+$")


def parse_count(value: object, what: str = "count") -> int | None:
    """A platform counter as a non-negative int; ``None`` where the platform says it does not know.

    ``"10万+"`` is the platform's floor ("more than 100,000") and parses to that floor.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"{what} is a boolean, not a count: {value!r}")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"{what} is negative: {value}")
        return value
    if isinstance(value, float):
        if value != value or value < 0 or value != int(value):
            raise ValueError(f"{what} is not a whole non-negative count: {value!r}")
        return int(value)
    if not isinstance(value, str):
        raise ValueError(f"{what} is not a count: {value!r}")
    text = value.strip()
    if text in UNKNOWN_COUNTS:
        return None
    if _GROUPED.match(text):
        return int(text.replace(",", ""))
    match = _DISPLAY.match(text)
    if match is None:
        raise ValueError(f"{what} is not a count: {value!r}")
    number, unit = match.group("num"), match.group("unit")
    if unit is None:
        if "." in number:
            raise ValueError(f"{what} is not a whole count: {value!r}")
        return int(number)
    # Decimal arithmetic on the digits, so "1.2万" is exactly 12000, not 11999.999...
    whole, _, frac = number.partition(".")
    scale = _UNITS[unit]
    return int(whole) * scale + (int(frac) * scale // 10 ** len(frac) if frac else 0)


# Parsed by hand rather than with strptime: a pull parses tens of thousands of times (strptime
# was a tenth of a pull's time), and strptime's month names follow the machine's locale.
_WEIBO_TIME = re.compile(r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
                         r"(\d{2}) (\d{2}):(\d{2}):(\d{2}) ([+-]\d{4}) (\d{4})")
_MONTHS = {m: i for i, m in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), 1)}
_OFFSET_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{4}")


@lru_cache(maxsize=64)
def _zone(offset: str) -> timezone:
    minutes = int(offset[1:3]) * 60 + int(offset[3:5])
    return timezone(timedelta(minutes=-minutes if offset[0] == "-" else minutes))


def parse_weibo_time(text: str) -> datetime:
    """``Tue May 31 17:46:55 +0800 2011`` -> aware UTC."""
    if not isinstance(text, str):
        raise ValueError(f"not a Weibo time (like 'Tue May 31 17:46:55 +0800 2011'): {text!r}")
    return _weibo_time(text)


def _weibo_time(text: str) -> datetime:
    m = _WEIBO_TIME.fullmatch(text)
    if m is None:
        raise ValueError(f"not a Weibo time (like 'Tue May 31 17:46:55 +0800 2011'): {text!r}")
    mon, day, hh, mm, ss, offset, year = m.groups()
    local = datetime(int(year), _MONTHS[mon], int(day), int(hh), int(mm), int(ss), tzinfo=_zone(offset))
    return local.astimezone(timezone.utc)


def parse_offset_time(text: str) -> datetime:
    """``2025-06-01T07:00:00+0000`` (Graph API: an offset without a colon) -> aware UTC."""
    if not isinstance(text, str):
        raise ValueError(f"not a time like '2025-06-01T07:00:00+0000': {text!r}")
    return _offset_time(text)


def _offset_time(text: str) -> datetime:
    if _OFFSET_TIME.fullmatch(text) is None:
        raise ValueError(f"not a time like '2025-06-01T07:00:00+0000': {text!r}")
    return datetime.fromisoformat(text).astimezone(timezone.utc)


def parse_iso_time(text: str) -> datetime:
    """ISO-8601 with ``Z`` or an offset (``2024-01-01T12:00:00.000Z``) -> aware UTC. A time
    without a zone is refused: guessing one would shift the day it belongs to."""
    if not isinstance(text, str):
        raise ValueError(f"time is not a string: {text!r}")
    ts = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    if ts.tzinfo is None:
        raise ValueError(f"time has no zone: {text!r}")
    return ts.astimezone(timezone.utc)


# Epochs outside these bounds are a unit mix-up (milliseconds read as seconds) or garbage.
_EPOCH_MIN, _EPOCH_MAX = 946_684_800, 4_102_444_800  # 2000-01-01 .. 2100-01-01


def parse_epoch_seconds(value: object) -> datetime:
    return _epoch(value, 1, "epoch seconds")


def parse_epoch_millis(value: object) -> datetime:
    return _epoch(value, 1000, "epoch milliseconds")


def _epoch(value: object, per_second: int, what: str) -> datetime:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{what} is not an integer: {value!r}")
    seconds = value / per_second
    if not _EPOCH_MIN <= seconds < _EPOCH_MAX:
        raise ValueError(f"{what} {value} is outside 2000..2100: wrong unit?")
    return datetime.fromtimestamp(seconds, timezone.utc)
