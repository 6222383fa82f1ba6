"""What every platform connector returns: raw records grouped by landed entity.

A raw record is the platform's own JSON object plus the context the payload does
not carry by itself (which account a follower sample belongs to, which day a
snapshot describes). Normalisers turn raw records into rows of the data contract.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Callable

from ingestion.plausibility import is_plausible_time
from ingestion.quirks import parse_count
from ingestion.schemas import ENTITIES
from ingestion.spool import RecordSpool

TRACKING_DAYS = 7  # how long after publication a post's counters are snapshotted daily
# Posts and comments created this many days back are landed again in each day's slice, so that
# rows a platform shows late (after their own day was pulled) are caught; staging keeps the
# latest copy of each natural key, so re-reading never doubles a row.
LOOKBACK_DAYS = 3

# The day whose end an export describes. Real platforms answer only "as of now" and
# ignore the parameter; the demo export API serves any finished day with it.
EXPORT_DATE_PARAM = "export_date"


@dataclass
class RawRecord:
    payload: dict
    context: dict = field(default_factory=dict)


@dataclass
class RawDay:
    """Everything one platform said about one day, before normalisation. Each entity's records
    go to a ``RecordSpool``: connectors append to it like a list, and it keeps one batch in
    memory, so a large day costs disk, not memory. ``close()`` removes what was spilled."""

    platform: str
    day: date
    records: dict[str, RecordSpool] = field(default_factory=lambda: {e: RecordSpool() for e in ENTITIES})

    def close(self) -> None:
        for spool in self.records.values():
            spool.close()


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=timezone.utc)
    return start, start + timedelta(days=1)


def tracking_window_start(day: date) -> datetime:
    """Posts published since this instant still get a daily metrics snapshot on ``day``."""
    return day_bounds(day - timedelta(days=TRACKING_DAYS - 1))[0]


def lookback_window_start(day: date) -> datetime:
    """Posts and comments created since this instant are landed in ``day``'s slice."""
    return day_bounds(day - timedelta(days=LOOKBACK_DAYS - 1))[0]


MAX_PAGES = 1_000  # a cursor that never ends is a platform bug, not a reason to loop forever


def time_or_none(parse: Callable[[str], datetime], item: dict, field: str) -> datetime | None:
    """The item's time, or None when it is missing, unparsable or impossible (before 2000,
    days ahead of the clock). Connectors only use times to decide paging and which day an
    item belongs to; an item without a usable time is still passed on, so that normalisation
    quarantines it with the reason instead of a day filter skipping it unseen."""
    try:
        t = parse(item[field])
    except (KeyError, TypeError, ValueError):
        return None
    return t if is_plausible_time(t) else None


def count_or_none(value: object, what: str) -> int | None:
    """A platform counter as an int, display strings included ("1.2万", "3,456"); None when
    absent or unknown ("-", "未知"); a ValueError naming the field for anything else."""
    return parse_count(value, what)


def required_id(value: object, what: str) -> str:
    """An id as a string; a ValueError naming ``what`` when it is missing or not a scalar."""
    if value in (None, "") or isinstance(value, (bool, dict, list)):
        raise ValueError(f"{what} has no id")
    return str(value)


def object_or_empty(value: object, what: str) -> dict:
    """A nested object of the payload; {} when absent, a ValueError when it is something else."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"{what} is not an object: {value!r}")
    return value


def text_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None
