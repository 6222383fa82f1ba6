"""Pure helpers that turn a Dagster partition window into dbt ``--vars``."""
from __future__ import annotations

from datetime import date, datetime, timedelta


def window_vars(start: datetime | date, end: datetime | date, revisit_days: int = 0) -> dict[str, str]:
    """Dagster windows are half-open [start, end); dbt's min_date/max_date are inclusive days.
    ``revisit_days`` widens the window backwards, for marts whose verdict on a day
    depends on the day after it.

    >>> window_vars(date(2026, 11, 1), date(2026, 11, 3))
    {'min_date': '2026-11-01', 'max_date': '2026-11-02'}
    """
    if revisit_days < 0:
        raise ValueError("revisit_days must not be negative")
    first = start.date() if isinstance(start, datetime) else start
    stop = end.date() if isinstance(end, datetime) else end
    if stop <= first:
        raise ValueError(f"empty partition window [{first}, {stop})")
    return {"min_date": (first - timedelta(days=revisit_days)).isoformat(),
            "max_date": (stop - timedelta(days=1)).isoformat()}


def window_chunks(window: dict[str, str], max_days: int) -> list[dict[str, str]]:
    """``window`` cut into consecutive windows of at most ``max_days`` days, in order.

    The daily marts' trailing measures join each day to the weeks before it, so one dbt
    invocation over a long range holds every row many times over (a year of the `large`
    preset spilled more than 40 GB: docs/benchmarks.md); a month at a time stays bounded.

    >>> window_chunks({'min_date': '2026-01-30', 'max_date': '2026-02-03'}, 2)
    [{'min_date': '2026-01-30', 'max_date': '2026-01-31'}, {'min_date': '2026-02-01', 'max_date': '2026-02-02'}, {'min_date': '2026-02-03', 'max_date': '2026-02-03'}]
    """
    if max_days < 1:
        raise ValueError("max_days must be at least 1")
    first, last = date.fromisoformat(window["min_date"]), date.fromisoformat(window["max_date"])
    if last < first:
        raise ValueError(f"empty window {window['min_date']} .. {window['max_date']}")
    chunks = []
    while first <= last:
        end = min(last, first + timedelta(days=max_days - 1))
        chunks.append({"min_date": first.isoformat(), "max_date": end.isoformat()})
        first = end + timedelta(days=1)
    return chunks
