"""Ingestion against the real demo export API on loopback: no mocked HTTP."""
import json
from datetime import date, datetime, timedelta, timezone

import duckdb
import pyarrow.parquet as pq
import pytest

from ingestion.contract import LOADED_AT_COLUMN
from ingestion.http import PlatformError
from ingestion.landing import normalize
from ingestion.platforms.base import RawRecord
from ingestion.platforms.weibo import normalize as weibo_normalize
from ingestion.pull import pull_platform_day
from ingestion.schemas import ENTITIES, schema_for
from ingestion.settings import PlatformSettings
from tests.conftest import TOKENS

DAY = date(2026, 11, 20)


@pytest.mark.parametrize("platform", ["weibo", "instagram"])
def test_a_platform_day_lands_every_entity_with_balanced_accounting(demo_api, lake, platform):
    reports = pull_platform_day(platform, DAY, lake=lake)
    assert [r.entity for r in reports] == list(ENTITIES)
    for r in reports:
        assert r.balanced and r.landed > 0, r
        table = pq.read_table(r.path)
        assert table.schema.equals(schema_for(platform, r.entity), check_metadata=False)
        assert table.num_rows == r.landed
        manifest = json.loads((lake / "raw" / platform / r.entity / f"dt={DAY}" / "_manifest.json").read_text())
        assert manifest["fetched"] == manifest["landed"] + manifest["quarantined"] + manifest["duplicates"]
        assert manifest["platform_day_requests"] > 0 and manifest["landed"] == table.num_rows


def test_every_slice_of_a_platform_day_is_stamped_with_the_moment_it_was_landed(demo_api, lake):
    before = datetime.now(timezone.utc)
    reports = pull_platform_day("weibo", DAY, lake=lake)
    after = datetime.now(timezone.utc)
    stamps = set()
    for r in reports:
        table = pq.read_table(r.path)
        field = table.schema.field(LOADED_AT_COLUMN)
        assert field.type.tz == "UTC" and not field.nullable and table.schema.names[-1] == LOADED_AT_COLUMN
        stamps |= set(table.column(LOADED_AT_COLUMN).to_pylist())
        manifest = json.loads((lake / "raw" / "weibo" / r.entity / f"dt={DAY}" / "_manifest.json").read_text())
        stamps.add(datetime.fromisoformat(manifest["loaded_at"]))
    (loaded_at,) = stamps  # one moment for the whole platform-day, in the files and the manifests
    assert before <= loaded_at <= after
    # dbt reads it as a zoned timestamp, for source freshness
    glob = f"{lake}/raw/weibo/*/*/*.parquet"
    kind, latest = duckdb.execute(f"select typeof(max({LOADED_AT_COLUMN})), max({LOADED_AT_COLUMN}) "
                                  f"from read_parquet('{glob}')").fetchone()
    assert kind == "TIMESTAMP WITH TIME ZONE" and latest == loaded_at


def test_landed_times_are_utc_and_rows_belong_to_their_day(demo_api, lake):
    from ingestion.platforms.base import LOOKBACK_DAYS

    # Alone, a day's slice holds what was created in its lookback window ...
    pull_platform_day("weibo", DAY, lake=lake / "alone")
    window = {DAY - timedelta(days=d) for d in range(LOOKBACK_DAYS)}
    for entity in ("posts", "comments"):
        table = pq.read_table(lake / "alone" / "raw" / "weibo" / entity / f"dt={DAY}" / "data.parquet")
        assert {ts.astimezone(timezone.utc).date() for ts in table.column("created_at").to_pylist()} == window
    # ... after the days before it, only its own day: nothing arrived late, nothing lands twice.
    for d in sorted(window):
        pull_platform_day("weibo", d, lake=lake)
    for entity, col in (("posts", "created_at"), ("comments", "created_at")):
        table = pq.read_table(lake / "raw" / "weibo" / entity / f"dt={DAY}" / "data.parquet")
        assert table.schema.field(col).type.tz == "UTC"
        assert {ts.astimezone(timezone.utc).date() for ts in table.column(col).to_pylist()} == {DAY}
    ids = pq.read_table(lake / "raw" / "weibo" / "posts" / f"dt={DAY}" / "data.parquet").column("id")
    assert str(ids.type) == "string"


def test_re_running_a_slice_replaces_it_without_duplicates_or_leftovers(demo_api, lake):
    first = {r.entity: r.landed for r in pull_platform_day("instagram", DAY, lake=lake)}
    second = {r.entity: r.landed for r in pull_platform_day("instagram", DAY, lake=lake)}
    assert first == second
    glob = f"{lake}/raw/instagram/comments/*/*.parquet"
    n, distinct = duckdb.execute(f"select count(*), count(distinct id) from read_parquet('{glob}')").fetchone()
    assert n == distinct == first["comments"]
    assert not list(lake.rglob("*.tmp")), "no temporary file may survive a landing"


def test_an_expired_token_fails_clearly_and_never_shows_the_token(demo_api, lake):
    bad = "wb-expired-token-should-not-leak"
    settings = PlatformSettings("weibo", demo_api.base_url("weibo"), bad, retries=0)
    with pytest.raises(PlatformError) as err:
        pull_platform_day("weibo", DAY, lake=lake, settings=settings)
    assert err.value.kind == "auth"
    assert "KOL_WEIBO_ACCESS_TOKEN" in str(err.value) and bad not in str(err.value)
    assert not lake.exists(), "a failed pull lands nothing"


def test_an_unreachable_api_names_the_url_without_the_token(lake):
    settings = PlatformSettings("weibo", "http://127.0.0.1:9/weibo", TOKENS["weibo"], timeout_s=1, retries=0)
    with pytest.raises(PlatformError) as err:
        pull_platform_day("weibo", DAY, lake=lake, settings=settings, accounts=["1"])
    assert err.value.kind == "transient" and "127.0.0.1:9" in str(err.value)
    assert TOKENS["weibo"] not in str(err.value)


def test_bad_records_are_quarantined_with_a_reason_and_counted():
    good = {"idstr": "1", "mid": "1", "user": {"idstr": "9"}, "created_at": "Fri Nov 20 08:00:00 +0800 2026",
            "text": "ok"}
    records = [
        RawRecord(good),
        RawRecord(dict(good)),  # the same status twice: a duplicate, not a second row
        RawRecord({**good, "idstr": "2", "created_at": "yesterday"}),
        RawRecord({**good, "idstr": "3", "user": None}),
    ]
    table, quarantined, duplicates = normalize("weibo", "posts", records, weibo_normalize.posts)
    assert table.num_rows == 1 and duplicates == 1 and len(quarantined) == 2
    assert table.num_rows + duplicates + len(quarantined) == len(records)
    assert "not a Weibo time" in quarantined[0]["reason"] and quarantined[0]["payload"]["idstr"] == "2"
    assert table.column("created_at").to_pylist()[0].hour == 0  # 08:00 +0800 is 00:00 UTC


def test_negative_counts_are_refused():
    with pytest.raises(ValueError, match="negative"):
        weibo_normalize.post_metrics({"idstr": "1", "user": {"idstr": "2"}, "attitudes_count": -5},
                                     {"snapshot_date": "2026-11-20"})


def test_quarantined_records_land_beside_the_slice(demo_api, lake):
    from ingestion.landing import land

    table, quarantined, dups = normalize("weibo", "posts", [RawRecord({"idstr": "x"})], weibo_normalize.posts)
    report = land(lake, "weibo", "posts", DAY, table, quarantined, dups, fetched=1)
    qfile = lake / "quarantine" / "weibo" / "posts" / f"dt={DAY}" / "records.jsonl"
    line = json.loads(qfile.read_text().splitlines()[0])
    assert report.quarantined == 1 and report.landed == 0 and line["reason"].startswith("missing field")
    # A clean re-run of the slice clears its quarantine.
    land(lake, "weibo", "posts", DAY, table.slice(0, 0), [], 0, fetched=0)
    assert not qfile.exists()


def test_slice_paths_refuse_names_outside_the_vocabulary(lake):
    from ingestion.landing import slice_dir

    with pytest.raises(ValueError):
        slice_dir(lake, "raw", "../etc", "posts", DAY)
    with pytest.raises(ValueError):
        slice_dir(lake, "raw", "weibo", "posts", "2026-11-20/../../x")
