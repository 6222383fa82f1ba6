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
