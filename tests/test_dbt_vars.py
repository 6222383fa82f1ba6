from datetime import date, datetime, timezone

import pytest

from orchestration.dbt_vars import window_vars


def test_one_day_partition_becomes_an_inclusive_single_day():
    start = datetime(2026, 11, 20, tzinfo=timezone.utc)
    end = datetime(2026, 11, 21, tzinfo=timezone.utc)
    assert window_vars(start, end) == {"min_date": "2026-11-20", "max_date": "2026-11-20"}


def test_a_backfill_range_becomes_one_window():
    assert window_vars(date(2026, 10, 30), date(2026, 11, 3)) == {"min_date": "2026-10-30", "max_date": "2026-11-02"}


def test_an_empty_window_is_an_error():
    with pytest.raises(ValueError):
        window_vars(date(2026, 11, 3), date(2026, 11, 3))


def test_the_marts_window_can_revisit_the_day_before():
    start = datetime(2026, 11, 20, tzinfo=timezone.utc)
    end = datetime(2026, 11, 21, tzinfo=timezone.utc)
    assert window_vars(start, end, revisit_days=1) == {"min_date": "2026-11-19", "max_date": "2026-11-20"}
    with pytest.raises(ValueError):
        window_vars(start, end, revisit_days=-1)


def test_window_chunks_cover_the_window_once_in_order_with_at_most_max_days():
    from datetime import timedelta

    from orchestration.dbt_vars import window_chunks

    window = {"min_date": "2025-11-24", "max_date": "2026-11-25"}  # a year and two days
    chunks = window_chunks(window, 31)
    days = [date.fromisoformat(c["min_date"]) + timedelta(days=i) for c in chunks
            for i in range((date.fromisoformat(c["max_date"]) - date.fromisoformat(c["min_date"])).days + 1)]
    first, last = date.fromisoformat(window["min_date"]), date.fromisoformat(window["max_date"])
    assert days == [first + timedelta(days=i) for i in range((last - first).days + 1)]
    lengths = [(date.fromisoformat(c["max_date"]) - date.fromisoformat(c["min_date"])).days + 1 for c in chunks]
    assert sum(lengths) == 367 and max(lengths) == 31 and len(chunks) == 12 and lengths[-1] == 367 - 31 * 11
    assert window_chunks({"min_date": "2026-11-25", "max_date": "2026-11-25"}, 31) == [
        {"min_date": "2026-11-25", "max_date": "2026-11-25"}]


def test_window_chunks_refuse_nonsense():
    from orchestration.dbt_vars import window_chunks

    with pytest.raises(ValueError, match="max_days"):
        window_chunks({"min_date": "2026-11-01", "max_date": "2026-11-02"}, 0)
    with pytest.raises(ValueError, match="empty window"):
        window_chunks({"min_date": "2026-11-03", "max_date": "2026-11-02"}, 5)
