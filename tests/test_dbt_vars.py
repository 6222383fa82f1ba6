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
