"""The platforms' quirks parse into the contract's types, or fail with a reason."""
from datetime import datetime, timezone

import pytest

from ingestion.quirks import (
    parse_count, parse_epoch_millis, parse_epoch_seconds, parse_iso_time, parse_offset_time, parse_weibo_time,
)


@pytest.mark.parametrize("raw, expected", [
    (0, 0), (3456, 3456), ("3456", 3456), ("3,456", 3456), ("1,234,567", 1234567),
    ("1.2万", 12_000), ("1万", 10_000), ("10万+", 100_000), ("3.45万", 34_500), ("1.2亿", 120_000_000),
    ("2.5k", 2_500), ("2.5K", 2_500), ("1.2M", 1_200_000), ("999+", 999), (" 12 ", 12), (12.0, 12),
    ("-", None), ("未知", None), ("", None), (None, None),
])
def test_counts_in_every_display_style(raw, expected):
    assert parse_count(raw) == expected


@pytest.mark.parametrize("raw, reason", [
    (-1, "negative"), ("-3", "not a count"), ("1.5", "not a whole count"), (True, "boolean"),
    ("12abc", "not a count"), ("1,23", "not a count"), (1.5, "not a whole"), ([1], "not a count"),
])
def test_anything_else_is_refused_with_a_reason(raw, reason):
    with pytest.raises(ValueError, match=reason):
        parse_count(raw, "like_count")


def test_times_of_every_platform_parse_to_the_same_utc_instant():
    instant = datetime(2011, 5, 31, 9, 46, 55, tzinfo=timezone.utc)
    assert parse_weibo_time("Tue May 31 17:46:55 +0800 2011") == instant
    assert parse_offset_time("2011-05-31T09:46:55+0000") == instant
    assert parse_iso_time("2011-05-31T09:46:55.000Z") == instant
    assert parse_iso_time("2011-05-31T17:46:55+08:00") == instant
    assert parse_epoch_seconds(1306835215) == instant == parse_epoch_seconds("1306835215")
    assert parse_epoch_millis(1306835215000) == instant


@pytest.mark.parametrize("parse, raw", [
    (parse_iso_time, "2011-05-31T09:46:55"),  # no zone: which day would it be?
    (parse_epoch_seconds, 1306835215000),  # milliseconds read as seconds
    (parse_epoch_millis, 1306835215),  # seconds read as milliseconds
    (parse_epoch_seconds, "soon"),
    (parse_weibo_time, "2011-05-31"),
])
def test_wrong_or_ambiguous_times_are_refused(parse, raw):
    with pytest.raises(ValueError):
        parse(raw)
