"""The TikTok connector against the demo export API over real HTTP: bearer token, POST list
endpoints with cursors in JSON bodies, "-" metrics as null, the 40100 throttle in HTTP 200
bodies, the Research API's daily quota, and every fault mode."""
from __future__ import annotations

import json
import logging
from datetime import date, timedelta

import pyarrow.parquet as pq
import pytest

from ingestion import http, landing, pull, schemas
from ingestion.contract import LOADED_AT_COLUMN
from ingestion.demo.api_common import end_of
from ingestion.demo.faults import FaultConfig
from ingestion.demo.server import DemoExportServer
from ingestion.demo.world import default_world
from ingestion.http import PlatformError
from ingestion.landing import normalize
from ingestion.platforms.base import TRACKING_DAYS, RawRecord, lookback_window_start
from ingestion.platforms.tiktok import client as tiktok_client
from ingestion.platforms.tiktok import normalize as tiktok_normalize
from ingestion.platforms.tiktok import schema as tiktok_schema
from ingestion.privacy import pseudonymise
from ingestion.schemas import ENTITIES, schema_for
from ingestion.settings import PlatformSettings
from tests.conftest import TOKENS

P = "tiktok"
DAY = date(2026, 11, 20)
ENV_VAR = "KOL_TIKTOK_ACCESS_TOKEN"


def _register(mp):
    """TikTok in the registries pull and landing read, whether or not the lead has listed it yet."""
    mp.setitem(schemas.SCHEMAS, P, tiktok_schema.SCHEMAS)
    mp.setitem(schemas.NATURAL_KEYS, P, tiktok_schema.NATURAL_KEYS)
    if P not in landing.PLATFORMS:
        mp.setattr(landing, "PLATFORMS", (*landing.PLATFORMS, P))
    mp.setitem(pull.CONNECTORS, P, (tiktok_client.CONNECTOR, tiktok_normalize.NORMALIZERS))
    if hasattr(pull, "KNOWN_FIELDS"):
        mp.setitem(pull.KNOWN_FIELDS, P, tiktok_normalize.KNOWN_FIELDS)


@pytest.fixture(autouse=True)
def registered(monkeypatch):
    _register(monkeypatch)
    monkeypatch.setattr(http, "BACKOFF_BASE_S", 0.01)  # retries without a Retry-After wait milliseconds


def _kols(n=None):
    kols = default_world().kols(P)
    return kols if n is None else kols[:n]


def _pull(lake, base_url, day=DAY, accounts=None, token=None, **settings):
    cfg = PlatformSettings(P, base_url, token or TOKENS[P], **settings)
    accounts = [k.account_id for k in _kols(3)] if accounts is None else accounts
    return {r.entity: r for r in pull.pull_platform_day(P, day, lake=lake, settings=cfg, accounts=accounts)}


def _faulty(lake, spec, day=DAY, seed=3, **settings):
    with DemoExportServer(tokens=TOKENS, faults=FaultConfig.parse(spec, seed=seed) if spec else None) as server:
        reports = _pull(lake, server.base_url(P), day=day, **settings)
        return reports, server.faults_injected.get(P, {})


def _rows(lake, entity, day=DAY):
    # The landed content: _loaded_at tells two landings of the same rows apart.
    table = pq.read_table(lake / "raw" / P / entity / f"dt={day}" / "data.parquet")
    return table.drop_columns([LOADED_AT_COLUMN]).to_pylist()


@pytest.fixture(scope="module")
def full_day(tmp_path_factory, demo_api):
    """One clean pull of every demo account, shared by the tests that only read it."""
    lake = tmp_path_factory.mktemp("tiktok") / "lake"
    with pytest.MonkeyPatch.context() as mp:
        _register(mp)
        reports = _pull(lake, demo_api.base_url(P), accounts=[k.account_id for k in _kols()])
    return lake, reports


# --------------------------------------------------------------------------- a clean day

def test_every_entity_lands_with_balanced_accounting_and_the_contract(full_day):
    lake, reports = full_day
    assert list(reports) == list(ENTITIES)
    for entity, r in reports.items():
        assert r.balanced and r.landed > 0 and r.quarantined == 0, r
        table = pq.read_table(r.path)
        assert table.schema.equals(schema_for(P, entity), check_metadata=False)
        manifest = json.loads((lake / "raw" / P / entity / f"dt={DAY}" / "_manifest.json").read_text())
        assert manifest["fetched"] == manifest["landed"] + manifest["quarantined"] + manifest["duplicates"]
        assert manifest["platform_day_requests"] > 0 and manifest["accounts"] == len(_kols())


def test_profiles_agree_with_the_world(full_day):
    lake, _ = full_day
    world = default_world()
    rows = {r["open_id"]: r for r in _rows(lake, "profiles")}
    assert set(rows) == {k.account_id for k in _kols()}
    for kol in _kols():
        row = rows[kol.account_id]
        assert row["username"] == kol.handle and row["snapshot_date"] == DAY
        assert (row["follower_count"], row["following_count"], row["video_count"]) == (
            world.followers_on(kol, DAY), world.following_on(kol, DAY), world.posts_count_on(kol, DAY))


def test_video_metrics_cover_the_tracking_window_and_dashes_are_null(full_day):
    lake, _ = full_day
    world = default_world()
    metrics = {r["id"]: r for r in _rows(lake, "post_metrics")}
    expected = {}
    for kol in _kols():
        for post in world.posts_between(kol, DAY - timedelta(days=TRACKING_DAYS - 1), DAY):
            expected[post.post_id] = (kol, world.counters(post, end_of(DAY)))
    assert set(metrics) == set(expected)
    for vid, (kol, c) in expected.items():
        row = metrics[vid]
        assert row["open_id"] == kol.account_id and row["snapshot_date"] == DAY
        assert (row["like_count"], row["comment_count"]) == (c.likes, c.comments)
        # "-" (not available yet) is null, never zero; otherwise the world's number.
        assert row["view_count"] in (None, c.views) and row["share_count"] in (None, c.shares)
    assert any(r["view_count"] is None for r in metrics.values()), "some videos say '-' for their views"
    assert all(isinstance(r["like_count"], int) for r in metrics.values())


def test_posts_are_the_videos_of_the_lookback_window_with_utc_times(full_day):
    lake, _ = full_day
    world = default_world()
    rows = {r["id"]: r for r in _rows(lake, "posts")}
    first = lookback_window_start(DAY)
    expected = {p.post_id: p for k in _kols() for p in world.posts_between(k, first.date(), DAY)}
    assert set(rows) == set(expected)
    for vid, post in expected.items():
        row = rows[vid]
        assert row["create_time"] == post.created_at.replace(microsecond=0)
        assert row["create_time"].utcoffset() == timedelta(0) and first <= row["create_time"] <= end_of(DAY)
        assert row["open_id"] == post.account_id and row["title"] == post.title
        assert row["duration"] == post.duration_s


def test_comments_and_the_creators_replies_agree_with_the_world(full_day):
    lake, _ = full_day
    world = default_world()
    rows = {r["id"]: r for r in _rows(lake, "comments")}
    start, end = lookback_window_start(DAY), end_of(DAY)
    expected = {}
    for kol in _kols():
        for post in world.posts_between(kol, DAY - timedelta(days=TRACKING_DAYS - 1), DAY):
            for c in world.comments_on(post, end):
                if start <= c.created_at <= end:
                    expected[c.comment_id] = (post, c)
    assert set(rows) == set(expected)
    replies = 0
    for cid, (post, c) in expected.items():
        row = rows[cid]
        assert row["video_id"] == post.post_id and row["video_owner_open_id"] == post.account_id
        assert row["text"] == c.text and row["create_time"] == c.created_at.replace(microsecond=0)
        if c.reply_to_id is None:
            assert row["parent_comment_id"] == post.post_id  # TikTok's way of saying "top level"
        else:
            replies += 1
            assert row["parent_comment_id"] == c.reply_to_id  # the creator's reply names what it answers
    assert replies > 0


def test_the_audience_sample_lands_pseudonymised_with_its_profiles(full_day):
    lake, _ = full_day
    world = default_world()
    rows = _rows(lake, "audience")
    for kol in _kols(4):
        mine = {}
        for r in rows:
            if r["followed_open_id"] == kol.account_id:
                mine[r["username"]] = r
        sample = world.audience_sample(kol, DAY)
        # TikTok knows a follower by username only (the demo world lets two followers share one).
        assert set(mine) == {pseudonymise(f.handle, P) for f in sample}
        for f in sample:
            row = mine[pseudonymise(f.handle, P)]
            assert row["username_length"] == len(f.handle)
            if sum(g.handle == f.handle for g in sample) == 1:
                assert (row["follower_count"], row["following_count"], row["video_count"]) == (
                    f.followers, f.following, f.posts)
                assert row["create_time"] == f.created_at
                default = tiktok_normalize.DEFAULT_AVATAR_MARK in row["avatar_url"]
                assert default == (f.avatar_url is None)


def test_no_follower_id_or_handle_lands_raw(full_day):
    lake, _ = full_day
    world = default_world()
    people = {x for k in _kols() for f in world.audience_pool(k) for x in (f.account_id, f.handle)}
    people -= {x for k in _kols() for x in (k.account_id, k.handle)}
    text = "".join(str(pq.read_table(p).to_pylist()) for p in lake.rglob("*.parquet"))
    assert not [p for p in people if p in text]


# --------------------------------------------------------------------------- normalisers

def test_records_that_do_not_parse_are_quarantined_with_a_reason():
    ctx = {"open_id": "-000abc", "snapshot_date": "2026-11-20"}
    good = {"id": 7001795204800000301, "create_time": 1795204800, "like_count": 5, "comment_count": 1,
            "share_count": "-", "view_count": "1.2k"}
    records = [RawRecord(good, ctx), RawRecord({**good, "id": "7001795204800000301"}, ctx),
               RawRecord({**good, "id": 7001795204800000302, "like_count": "lots"}, ctx),
               RawRecord({**good, "id": 7.0017952048e18}, ctx)]
    table, quarantined, duplicates = normalize(P, "post_metrics", records, tiktok_normalize.post_metrics)
    # An id sent as a number or as a string is the same video; a float has lost digits already.
    assert table.num_rows == 1 and duplicates == 1 and len(quarantined) == 2
    row = table.to_pylist()[0]
    assert row["id"] == "7001795204800000301" and row["share_count"] is None and row["view_count"] == 1200
    assert "like_count" in quarantined[0]["reason"] and "not an integer" in quarantined[1]["reason"]
    assert tiktok_normalize.avatar_folder("https://cdn.example/avt/abc123~c5_100x100.jpeg?x-signature=s") == \
        "https://cdn.example/avt/"


# --------------------------------------------------------------------------- faults

def test_repeated_items_are_counted_as_duplicates_and_land_once(tmp_path):
    clean, _ = _faulty(tmp_path / "clean", "")
    dup, injected = _faulty(tmp_path / "dup", f"{P}:duplicate_items=1")
    assert injected["duplicate_items"] > 0 and sum(r.duplicates for r in dup.values()) > 0
    for entity in ENTITIES:
        assert dup[entity].balanced
        assert _rows(tmp_path / "dup", entity) == _rows(tmp_path / "clean", entity), entity


@pytest.mark.parametrize("spec", [f"{P}:throttle_in_200=0.15", f"{P}:http_429=0.1,retry_after=0",
                                  f"{P}:server_error=0.05,burst=2", f"{P}:truncated=0.1"])
def test_throttles_outages_and_cut_bodies_are_retried_and_the_day_lands_whole(tmp_path, spec):
    clean, _ = _faulty(tmp_path / "clean", "")
    hostile, injected = _faulty(tmp_path / "hostile", spec, retries=6, retry_after_max_s=5)
    assert sum(injected.values()) > 0
    for entity in ENTITIES:
        assert _rows(tmp_path / "hostile", entity) == _rows(tmp_path / "clean", entity), entity


@pytest.mark.parametrize("spec, kind", [(f"{P}:throttle_in_200=1", "throttle"),
                                        (f"{P}:http_429=1,retry_after=0", "throttle"),
                                        (f"{P}:server_error=1,burst=10", "transient"),
                                        (f"{P}:truncated=1", "transient")])
def test_a_fault_that_outlasts_the_retries_fails_with_its_kind_and_lands_nothing(tmp_path, spec, kind):
    with pytest.raises(PlatformError) as err:
        _faulty(tmp_path, spec, retries=1, retry_after_max_s=5)
    assert err.value.kind == kind and TOKENS[P] not in str(err.value)
    assert not (tmp_path / "raw").exists()


def test_a_retry_after_beyond_the_cap_fails_at_once(tmp_path):
    with pytest.raises(PlatformError) as err:
        _faulty(tmp_path, f"{P}:http_429=1,retry_after=7200", retry_after_max_s=30)
    assert err.value.kind == "throttle" and "7200" in str(err.value)


def test_an_expired_token_is_an_auth_error_naming_the_variable_to_renew(tmp_path):
    with pytest.raises(PlatformError) as err:
        _faulty(tmp_path, f"{P}:expired_token=1", retries=4)
    assert err.value.kind == "auth" and "access_token_invalid" in str(err.value) and ENV_VAR in str(err.value)
    assert TOKENS[P] not in str(err.value) and not (tmp_path / "raw").exists()


def test_a_wrong_token_is_an_auth_error_too(demo_api, tmp_path):
    bad = "tt-wrong-token-must-not-leak"
    with pytest.raises(PlatformError) as err:
        _pull(tmp_path, demo_api.base_url(P), token=bad)
    assert err.value.kind == "auth" and ENV_VAR in str(err.value) and bad not in str(err.value)


def test_the_research_apis_daily_quota_fails_fast_and_says_when_it_resets(tmp_path):
    # HTTP 429 like a throttle, but no wait within the day helps: asked once, not retried.
    with DemoExportServer(tokens=TOKENS, faults=FaultConfig.parse(f"{P}:quota_exceeded=1")) as server:
        with pytest.raises(PlatformError) as err:
            _pull(tmp_path, server.base_url(P), retries=4)
        assert server.requests_served == 1
    assert err.value.kind == "quota" and "daily_quota_limit_exceeded" in str(err.value)
    assert "midnight UTC" in str(err.value)


def test_schema_drift_loses_nothing_and_keeps_new_fields(tmp_path):
    clean, _ = _faulty(tmp_path / "clean", "")
    reports, injected = _faulty(tmp_path / "drift", f"{P}:schema_drift=0.4")
    assert injected["schema_drift"] > 0
    for entity, r in reports.items():
        assert r.balanced and r.landed == clean[entity].landed, entity
    lines = [line for p in (tmp_path / "drift" / "quarantine").rglob("records.jsonl")
             for line in p.read_text().splitlines()]
    assert len(lines) == sum(r.quarantined for r in reports.values())
    extras = [json.loads(r["_extras"]) for e in ENTITIES for r in _rows(tmp_path / "drift", e) if r["_extras"]]
    assert extras and all(e == {"region_code": "US"} for e in extras)


def test_counts_drifting_into_strings_land_as_the_same_numbers(tmp_path):
    clean, _ = _faulty(tmp_path / "clean", "")
    drifted, injected = _faulty(tmp_path / "drift", f"{P}:schema_drift=1,drift=string_count")
    assert injected["schema_drift"] > 0
    for entity in ENTITIES:
        assert drifted[entity].quarantined == 0
        assert _rows(tmp_path / "drift", entity) == _rows(tmp_path / "clean", entity), entity


def test_late_rows_are_caught_by_the_next_days_lookback_and_land_once(tmp_path):
    def ids(lake, entity, d):
        return {r["id"] for r in _rows(lake, entity, d)}

    for d in (DAY - timedelta(days=2), DAY - timedelta(days=1)):
        _faulty(tmp_path / "clean", "", day=d)
        _faulty(tmp_path / "late", "", day=d)
    _faulty(tmp_path / "clean", "", day=DAY)
    _, injected = _faulty(tmp_path / "late", f"{P}:late_rows=0.5", day=DAY)
    assert injected["late_rows"] > 0
    after = DAY + timedelta(days=1)
    _faulty(tmp_path / "clean", "", day=after)
    _faulty(tmp_path / "late", "", day=after)  # TikTok now shows yesterday's late rows
    for entity in ("posts", "comments"):
        late_day, caught = ids(tmp_path / "late", entity, DAY), ids(tmp_path / "late", entity, after)
        missing = ids(tmp_path / "clean", entity, DAY) - late_day
        assert missing and missing <= caught, entity
        assert not late_day & caught
        assert late_day | caught == ids(tmp_path / "clean", entity, DAY) | ids(tmp_path / "clean", entity, after)


def test_the_token_never_shows_in_logs_errors_or_files(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    _faulty(tmp_path / "a", f"{P}:http_429=0.1,retry_after=0,throttle_in_200=0.1", retries=8)
    with pytest.raises(PlatformError) as err:
        _faulty(tmp_path / "b", f"{P}:slow=1,delay=0.5", timeout_s=0.1, retries=1)
    _faulty(tmp_path / "c", f"{P}:schema_drift=0.5,drift=missing_field+new_field")
    assert err.value.kind == "transient"
    assert TOKENS[P] not in caplog.text and TOKENS[P] not in str(err.value)
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert TOKENS[P].encode() not in path.read_bytes(), path
