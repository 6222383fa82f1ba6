"""What no platform can mean: times before the platforms existed or days ahead of the clock,
and text fields the size of a whole file. A record holding one is bad input, whichever way it
came (an API answer or a dropped file): it is quarantined with the field named, never landed
and never silently skipped. One definition, shared by the API landing and the inbox."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

EARLIEST = datetime(2000, 1, 1, tzinfo=timezone.utc)  # before the platforms existed: a unit or typing error
FUTURE_SLACK = timedelta(days=1)  # clocks and time zones differ; beyond a day ahead a time is wrong
MAX_FIELD_CHARS = 10_000  # a longer value is a broken export (a whole file in one cell), not a caption


def time_problem(ts: datetime, now: datetime | None = None) -> str | None:
    """Why ``ts`` cannot be a real platform time, or None when it can."""
    now = now or datetime.now(timezone.utc)
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=timezone.utc)
    if ts > now + FUTURE_SLACK:
        return f"{ts:%Y-%m-%d %H:%M} UTC is in the future (after {(now + FUTURE_SLACK):%Y-%m-%d %H:%M} UTC)"
    if ts < EARLIEST:
        return f"{ts:%Y-%m-%d %H:%M} UTC is before 2000: a wrong unit or a typing error?"
    return None


def is_plausible_time(ts: datetime, now: datetime | None = None) -> bool:
    return time_problem(ts, now) is None


def check_row(row: dict, now: datetime | None = None) -> None:
    """A ValueError naming the first field of a normalised row that no platform can mean."""
    now = now or datetime.now(timezone.utc)
    for name, value in row.items():
        if isinstance(value, datetime):
            problem = time_problem(value, now)
        elif isinstance(value, date):
            problem = time_problem(datetime(value.year, value.month, value.day, tzinfo=timezone.utc), now)
        elif isinstance(value, str) and len(value) > MAX_FIELD_CHARS:
            problem = f"{len(value):,} characters, over the limit of {MAX_FIELD_CHARS:,}"
        else:
            continue
        if problem:
            raise ValueError(f"{name}: {problem}")
