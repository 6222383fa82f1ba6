"""Ingestion against a hostile demo API (real HTTP, faults injected by the server):
nothing is lost, duplicates are counted, waits are bounded, secrets stay secret."""
import logging
from datetime import date

import pyarrow.parquet as pq
import pytest

from ingestion.contract import LOADED_AT_COLUMN
from ingestion.demo.faults import FaultConfig
from ingestion.demo.server import DemoExportServer
from ingestion.http import PlatformError
from ingestion.pull import pull_platform_day
from ingestion.schemas import ENTITIES
from ingestion.settings import PlatformSettings
from tests.conftest import TOKENS

DAY = date(2026, 11, 20)
ACCOUNTS = {"weibo": 3, "instagram": 3}


def _pull(platform, spec, lake, **settings):
    from ingestion.demo.world import default_world

    accounts = [k.account_id for k in default_world().kols(platform)[: ACCOUNTS[platform]]]
    faults = FaultConfig.parse(spec, seed=3) if spec else None
    with DemoExportServer(tokens=TOKENS, faults=faults) as server:
        cfg = PlatformSettings(platform, server.base_url(platform), TOKENS[platform], **settings)
        reports = pull_platform_day(platform, DAY, lake=lake, settings=cfg, accounts=accounts)
        return {r.entity: r for r in reports}, server.faults_injected


def _rows(lake, platform, entity):
    # The landed content: _loaded_at tells two landings of the same rows apart.
    table = pq.read_table(lake / "raw" / platform / entity / f"dt={DAY}" / "data.parquet")
    return table.drop_columns([LOADED_AT_COLUMN]).to_pylist()


@pytest.mark.parametrize("platform", ["weibo", "instagram"])
def test_repeated_items_are_counted_as_duplicates_and_land_once(tmp_path, platform):
    clean, _ = _pull(platform, "", tmp_path / "clean")
    hostile, injected = _pull(platform, f"{platform}:duplicate_items=1", tmp_path / "dup")
    assert injected[platform]["duplicate_items"] > 0
    assert sum(r.duplicates for r in hostile.values()) > 0
    for entity in ENTITIES:
        assert hostile[entity].fetched == hostile[entity].landed + hostile[entity].quarantined + hostile[entity].duplicates
        assert _rows(tmp_path / "dup", platform, entity) == _rows(tmp_path / "clean", platform, entity), entity


@pytest.mark.parametrize("platform", ["weibo", "instagram"])
def test_schema_drift_quarantines_what_does_not_parse_and_loses_nothing(tmp_path, platform):
    # A required field gone (Weibo's and Instagram's optional fields are not): nothing may vanish.
    reports, injected = _pull(platform, f"{platform}:schema_drift=0.3,drift=missing_field+new_field", tmp_path)
    assert injected[platform]["schema_drift"] > 0
    quarantined = sum(r.quarantined for r in reports.values())
    for r in reports.values():
        assert r.fetched == r.landed + r.quarantined + r.duplicates
    lines = [line for p in (tmp_path / "quarantine").rglob("records.jsonl") for line in p.read_text().splitlines()]
    assert len(lines) == quarantined and all('"reason"' in line and '"payload"' in line for line in lines)


@pytest.mark.parametrize("platform", ["weibo", "instagram"])
def test_counts_drifting_into_display_strings_still_land_as_numbers(tmp_path, platform):
    clean, _ = _pull(platform, "", tmp_path / "clean")
    drifted, injected = _pull(platform, f"{platform}:schema_drift=1,drift=string_count", tmp_path / "drift")
    assert injected[platform]["schema_drift"] > 0
    for entity in ENTITIES:
        assert drifted[entity].quarantined == 0 and drifted[entity].landed == clean[entity].landed, entity
    column = {"weibo": "attitudes_count", "instagram": "like_count"}[platform]
    for before, after in zip(_rows(tmp_path / "clean", platform, "post_metrics"),
                             _rows(tmp_path / "drift", platform, "post_metrics")):
        # "1.2万" is all a display string says: the number lands, to the display's precision.
        assert isinstance(after[column], int) and abs(after[column] - before[column]) <= 0.05 * before[column] + 1


def test_a_retry_after_beyond_the_cap_fails_fast_with_a_clear_message(tmp_path):
    with pytest.raises(PlatformError) as err:
        _pull("weibo", "weibo:http_429=1,retry_after=7200", tmp_path, retry_after_max_s=30)
    assert err.value.kind == "throttle"
    assert "7200" in str(err.value) and "KOL_HTTP_RETRY_AFTER_MAX_S" in str(err.value)
    assert not (tmp_path / "raw").exists()


def test_a_short_burst_of_gateway_errors_is_retried_and_the_day_lands_whole(tmp_path):
    clean, _ = _pull("instagram", "", tmp_path / "clean")
    hostile, injected = _pull("instagram", "instagram:server_error=0.05,burst=2", tmp_path / "burst", retries=6)
    assert injected["instagram"]["server_error"] > 0
    for entity in ENTITIES:
        assert _rows(tmp_path / "burst", "instagram", entity) == _rows(tmp_path / "clean", "instagram", entity)


def test_throttles_and_timeouts_never_show_the_token_in_logs_errors_or_files(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    _pull("weibo", "weibo:http_429=0.2,retry_after=0", tmp_path / "a", retries=8)
    with pytest.raises(PlatformError) as err:
        _pull("weibo", "weibo:slow=1,delay=0.5", tmp_path / "b", timeout_s=0.1, retries=1)
    assert err.value.kind == "transient"
    assert "retry 1 of 8" in caplog.text  # the retries are logged, without the token
    for platform_token in TOKENS.values():
        assert platform_token not in caplog.text and platform_token not in str(err.value)
        for path in tmp_path.rglob("*"):
            if path.is_file():
                assert platform_token.encode() not in path.read_bytes(), path


@pytest.mark.parametrize("platform", ["weibo", "instagram"])
def test_late_rows_are_caught_by_the_next_days_lookback_and_land_once(tmp_path, platform):
    from datetime import timedelta

    from ingestion.demo.world import default_world

    accounts = [k.account_id for k in default_world().kols(platform)[: ACCOUNTS[platform]]]
    day, next_day = DAY, DAY + timedelta(days=1)

    def ids(lake, entity, d):
        path = lake / "raw" / platform / entity / f"dt={d}" / "data.parquet"
        return set(pq.read_table(path).column("id").to_pylist())

    def pull(lake, d, spec):
        faults = FaultConfig.parse(spec, seed=3) if spec else None
        with DemoExportServer(tokens=TOKENS, faults=faults) as server:
            cfg = PlatformSettings(platform, server.base_url(platform), TOKENS[platform])
            pull_platform_day(platform, d, lake=lake, settings=cfg, accounts=accounts)
            return server.faults_injected

    for d in (day - timedelta(days=2), day - timedelta(days=1)):
        pull(tmp_path / "clean", d, "")
        pull(tmp_path / "late", d, "")
    pull(tmp_path / "clean", day, "")
    injected = pull(tmp_path / "late", day, f"{platform}:late_rows=0.5")
    assert injected[platform]["late_rows"] > 0
    pull(tmp_path / "clean", next_day, "")
    pull(tmp_path / "late", next_day, "")  # the platform now shows yesterday's late rows
    for entity in ("posts", "comments"):
        late_day, caught = ids(tmp_path / "late", entity, day), ids(tmp_path / "late", entity, next_day)
        missing = ids(tmp_path / "clean", entity, day) - late_day
        assert missing and missing <= caught, entity  # held back on their day, caught the next
        assert not late_day & caught  # and landed once
        assert late_day | caught == ids(tmp_path / "clean", entity, day) | ids(tmp_path / "clean", entity, next_day)


def test_throttles_inside_http_200_bodies_are_waited_out_and_the_day_lands_whole(tmp_path):
    clean, _ = _pull("weibo", "", tmp_path / "clean")
    hostile, injected = _pull("weibo", "weibo:throttle_in_200=0.3", tmp_path / "throttled", retries=12)
    assert injected["weibo"]["throttle_in_200"] > 0
    for entity in ENTITIES:
        assert _rows(tmp_path / "throttled", "weibo", entity) == _rows(tmp_path / "clean", "weibo", entity)
    manifest = (tmp_path / "throttled" / "raw" / "weibo" / "profiles" / f"dt={DAY}" / "_manifest.json").read_text()
    assert '"platform_day_retries"' in manifest


def test_an_exhausted_daily_quota_fails_fast_and_says_when_it_resets(tmp_path):
    from ingestion.demo.world import default_world

    accounts = [k.account_id for k in default_world().kols("weibo")[:2]]
    with DemoExportServer(tokens=TOKENS, faults=FaultConfig.parse("weibo:quota_exceeded=1")) as server:
        cfg = PlatformSettings("weibo", server.base_url("weibo"), TOKENS["weibo"], retries=8)
        with pytest.raises(PlatformError) as err:
            pull_platform_day("weibo", DAY, lake=tmp_path, settings=cfg, accounts=accounts)
        assert server.requests_served == 1, "a quota is not retried"
    assert err.value.kind == "quota" and "resets at midnight Asia/Shanghai" in str(err.value)
    assert not (tmp_path / "raw").exists(), "nothing lands from a failed pull"
