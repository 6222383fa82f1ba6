"""The Douyin connector against the demo export API over real HTTP: every entity lands with
balanced accounting and agrees with the demo world; the open platform's quirks (errors in
HTTP 200 bodies, play_count 0 in the list, T+1 item data) and every fault mode are handled."""
import json
import logging
from datetime import date, timedelta

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import ingestion.http as http_module
from ingestion import landing, pull, schemas
from ingestion.contract import LOADED_AT_COLUMN
from ingestion.demo import douyin_api
from ingestion.demo.api_common import end_of
from ingestion.demo.faults import FaultConfig
from ingestion.demo.server import DemoExportServer
from ingestion.demo.world import default_world
from ingestion.http import PlatformError
from ingestion.platforms.base import RawRecord, day_bounds, lookback_window_start, tracking_window_start
from ingestion.platforms.douyin import client, normalize, schema
from ingestion.privacy import pii_kind, pseudonymise
from ingestion.schemas import ENTITIES, schema_for
from ingestion.settings import PlatformSettings
from tests.conftest import TOKENS

P = "douyin"
DAY = date(2026, 11, 20)
N = 3  # accounts per pull: enough for every shape, quick enough for a fault matrix


@pytest.fixture(scope="module", autouse=True)
def connected():
    """Douyin as the pull sees it once listed in CONNECTED_PLATFORMS; retries that wait ms."""
    with pytest.MonkeyPatch.context() as mp:
        if P not in pull.CONNECTORS:
            mp.setitem(schemas.SCHEMAS, P, schema.SCHEMAS)
            mp.setitem(schemas.NATURAL_KEYS, P, schema.NATURAL_KEYS)
            mp.setattr(landing, "PLATFORMS", landing.PLATFORMS + (P,))
            mp.setitem(pull.CONNECTORS, P, (client.CONNECTOR, normalize.NORMALIZERS))
            if hasattr(pull, "KNOWN_FIELDS"):
                mp.setitem(pull.KNOWN_FIELDS, P, normalize.KNOWN_FIELDS)
        mp.setattr(http_module, "BACKOFF_BASE_S", 0.001)
        yield


def _kols(n=N):
    return default_world().kols(P)[:n]


def _pull(lake, spec="", server=None, day=DAY, n=N, token=None, **settings):
    def run(srv):
        cfg = PlatformSettings(P, srv.base_url(P), token or TOKENS[P], **settings)
        reports = pull.pull_platform_day(P, day, lake=lake, settings=cfg, accounts=[k.account_id for k in _kols(n)])
        return {r.entity: r for r in reports}

    if server is not None:
        return run(server), {}
    with DemoExportServer(tokens=TOKENS, faults=FaultConfig.parse(spec, seed=3) if spec else None) as srv:
        return run(srv), srv.faults_injected.get(P, {})


def _rows(lake, entity, day=DAY):
    # The landed content: _loaded_at tells two landings of the same rows apart.
    table = pq.read_table(lake / "raw" / P / entity / f"dt={day}" / "data.parquet")
    return table.drop_columns([LOADED_AT_COLUMN]).to_pylist()


def _same_person(landed: str, raw: str) -> bool:
    return landed in (raw, pseudonymise(raw, P))


@pytest.fixture(scope="module")
def clean(demo_api, tmp_path_factory):
    lake = tmp_path_factory.mktemp("douyin") / "lake"
    reports, _ = _pull(lake, server=demo_api)
    return lake, reports


# --------------------------------------------------------------------------- the clean day

def test_a_day_lands_every_entity_with_balanced_accounting(clean):
    lake, reports = clean
    assert list(reports) == list(ENTITIES)
    for entity, r in reports.items():
        assert r.balanced and r.landed > 0 and r.quarantined == 0, r
        table = pq.read_table(r.path)
        assert table.schema.equals(schema_for(P, entity), check_metadata=False)
        manifest = json.loads((lake / "raw" / P / entity / f"dt={DAY}" / "_manifest.json").read_text())
        assert manifest["fetched"] == manifest["landed"] + manifest["quarantined"] + manifest["duplicates"]
        assert manifest["platform_day_requests"] > 0


def test_ids_are_strings_counts_integers_and_times_utc_in_their_window(clean):
    lake, _ = clean
    for entity in ENTITIES:
        table = pq.read_table(lake / "raw" / P / entity / f"dt={DAY}" / "data.parquet")
        for field in table.schema:
            if field.name.endswith("_id") or field.name in ("open_id", "followed_open_id"):
                assert field.type == pa.string(), (entity, field)
            if (field.name.endswith("_count") or field.name.startswith("total_")) and field.name in \
                    schema.SCHEMAS[entity].names:
                assert field.type == pa.int64(), (entity, field)
            if pa.types.is_timestamp(field.type):
                assert field.type.tz == "UTC", (entity, field)
    _, end = day_bounds(DAY)
    look = lookback_window_start(DAY)
    assert all(look <= r["create_time"] < end for r in _rows(lake, "posts"))
    assert all(look <= r["create_time"] < end for r in _rows(lake, "comments"))
    assert all(isinstance(r["digg_count"], int) for r in _rows(lake, "post_metrics"))


def test_landed_rows_agree_with_the_demo_world(clean):
    lake, _ = clean
    world = default_world()
    as_of, (_, end) = end_of(DAY), day_bounds(DAY)
    look, track = lookback_window_start(DAY), tracking_window_start(DAY)
    profiles = {r["open_id"]: r for r in _rows(lake, "profiles")}
    posts = _rows(lake, "posts")
    metrics = {r["item_id"]: r for r in _rows(lake, "post_metrics")}
    comments = {r["comment_id"]: r for r in _rows(lake, "comments")}
    audience = _rows(lake, "audience")
    for kol in _kols():
        profile = profiles[kol.account_id]
        assert profile["follower_count"] == profile["total_fans"] == world.followers_on(kol, DAY)
        assert profile["new_fans"] == world.followers_on(kol, DAY) - world.followers_on(kol, DAY - timedelta(days=1))
        assert profile["aweme_count"] == world.posts_count_on(kol, DAY)
        tracked = world.posts_between(kol, track.date(), DAY)
        assert {r["item_id"] for r in posts if r["open_id"] == kol.account_id} == \
            {p.post_id for p in tracked if p.created_at >= look}
        assert {i for i, r in metrics.items() if r["open_id"] == kol.account_id} == {p.post_id for p in tracked}
        expected_comments = []
        for post in tracked:
            c = world.counters(post, as_of)
            m = metrics[post.post_id]
            assert (m["digg_count"], m["comment_count"], m["share_count"]) == (c.likes, c.comments, c.shares)
            expected_comments += [x for x in world.comments_on(post, as_of) if look <= x.created_at < end]
        assert {douyin_api.comment_id(c.comment_id) for c in expected_comments} == \
            {i for i, r in comments.items() if r["open_id"] == kol.account_id}
        sample = world.audience_sample(kol, DAY)
        landed = sorted(r["open_id"] for r in audience if r["followed_open_id"] == kol.account_id)
        assert len(landed) == len(sample) and all(any(_same_person(x, f.account_id) for x in landed) for f in sample)


def test_the_creators_replies_point_at_the_comment_they_answer(clean):
    lake, _ = clean
    world = default_world()
    as_of, (_, end), look = end_of(DAY), day_bounds(DAY), lookback_window_start(DAY)
    comments = {r["comment_id"]: r for r in _rows(lake, "comments")}
    replies = [(kol, c) for kol in _kols() for p in world.posts_between(kol, DAY - timedelta(days=6), DAY)
               for c in world.comments_on(p, as_of) if c.author is None and look <= c.created_at < end]
    assert replies, "the Eastern creators answer their commenters"
    for kol, reply in replies:
        row = comments[douyin_api.comment_id(reply.comment_id)]
        assert row["comment_user_id"] == kol.account_id  # a KOL keeps their id: the reply rate stays countable
        assert row["reply_to_comment_id"] == douyin_api.comment_id(reply.reply_to_id)
        on_post = world.comments_on(world.post(reply.post_id), as_of)
        parent = next(c for c in on_post if c.comment_id == reply.reply_to_id)
        assert parent.author is not None and row["item_id"] == reply.post_id
    followers = [r for r in comments.values() if r["reply_to_comment_id"] is None]
    assert followers and all(r["comment_user_id"].startswith("p_") for r in followers)


def test_plays_come_from_item_data_which_is_a_day_behind(clean):
    lake, _ = clean
    world = default_world()
    rows = _rows(lake, "post_metrics")
    assert sum(r["play_count"] == 0 for r in rows) > len(rows) / 2, "the list's play_count is mostly 0"
    for r in rows:
        post = world.post(r["item_id"], P)
        if post.created_at.date() == DAY:  # published on the snapshot day: no item data yet
            assert r["item_data_date"] is None and r["total_play"] is None
        else:
            assert r["item_data_date"] == DAY - timedelta(days=1)
            assert r["total_play"] == world.counters(post, end_of(DAY - timedelta(days=1))).views > 0
    assert any(r["total_play"] is None for r in rows) and any(r["total_play"] for r in rows)


def test_requests_follow_the_window_not_the_history(demo_api, tmp_path, monkeypatch):
    paths = []
    real = http_module.PlatformHttp.request

    def spy(self, method, path, *args, **kwargs):
        paths.append(path)
        return real(self, method, path, *args, **kwargs)

    monkeypatch.setattr(http_module.PlatformHttp, "request", spy)
    _pull(tmp_path, server=demo_api, n=1)
    kol = _kols(1)[0]
    tracked = default_world().posts_between(kol, DAY - timedelta(days=6), DAY)
    assert default_world().posts_count_on(kol, DAY) > 10 * client.VIDEO_PAGE  # a long history ...
    assert paths.count("/api/douyin/v1/video/video_list/") <= len(tracked) // client.VIDEO_PAGE + 1  # ... unread
    assert paths.count("/data/external/item/base/") == len(tracked)  # one per tracked video, none older


# --------------------------------------------------------------------------- a hostile platform

def test_repeated_items_are_counted_as_duplicates_and_land_once(clean, tmp_path):
    lake, _ = clean
    reports, injected = _pull(tmp_path, f"{P}:duplicate_items=1")
    assert injected["duplicate_items"] > 0 and sum(r.duplicates for r in reports.values()) > 0
    for entity, r in reports.items():
        assert r.balanced
        assert _rows(tmp_path, entity) == _rows(lake, entity), entity


@pytest.mark.parametrize("spec", ["throttle_in_200=0.1", "http_429=0.1,retry_after=0", "server_error=0.05,burst=2",
                                  "truncated=0.05"])
def test_throttles_outages_and_cut_bodies_are_retried_and_the_day_lands_whole(clean, tmp_path, spec):
    lake, _ = clean
    reports, injected = _pull(tmp_path, f"{P}:{spec}", retries=6)
    assert sum(injected.values()) > 0
    for entity in ENTITIES:
        assert _rows(tmp_path, entity) == _rows(lake, entity), entity


@pytest.mark.parametrize("spec, kind", [("throttle_in_200=1", "throttle"), ("server_error=1", "transient"),
                                        ("truncated=1", "transient")])
def test_faults_that_do_not_pass_fail_with_their_kind_and_land_nothing(tmp_path, spec, kind):
    with pytest.raises(PlatformError) as err:
        _pull(tmp_path, f"{P}:{spec}", n=1, retries=2)
    assert err.value.kind == kind
    assert not (tmp_path / "raw").exists()


def test_an_expired_or_wrong_token_is_an_auth_error_that_names_the_variable(demo_api, tmp_path):
    with pytest.raises(PlatformError) as err:
        _pull(tmp_path, f"{P}:expired_token=1", n=1)
    assert err.value.kind == "auth" and "KOL_DOUYIN_ACCESS_TOKEN" in str(err.value) and "2190008" in str(err.value)
    bad = "dy-wrong-token-must-not-leak"
    with pytest.raises(PlatformError) as err:
        _pull(tmp_path, server=demo_api, n=1, token=bad)
    assert err.value.kind == "auth" and "KOL_DOUYIN_ACCESS_TOKEN" in str(err.value)
    assert bad not in str(err.value) and not (tmp_path / "raw").exists()


def test_an_exhausted_daily_quota_fails_fast_and_says_when_it_resets(tmp_path):
    with DemoExportServer(tokens=TOKENS, faults=FaultConfig.parse(f"{P}:quota_exceeded=1")) as server:
        with pytest.raises(PlatformError) as err:
            _pull(tmp_path, server=server, n=2, retries=8)
        assert server.requests_served == 1, "a spent quota is not asked again"
    assert err.value.kind == "quota" and "resets at midnight Asia/Shanghai" in str(err.value)


def test_a_retry_after_beyond_the_cap_fails_fast(tmp_path):
    with pytest.raises(PlatformError) as err:
        _pull(tmp_path, f"{P}:http_429=1,retry_after=7200", n=1, retry_after_max_s=30)
    assert err.value.kind == "throttle" and "7200" in str(err.value)


def test_schema_drift_loses_nothing_and_new_fields_are_kept(clean, tmp_path):
    lake, clean_reports = clean
    reports, injected = _pull(tmp_path, f"{P}:schema_drift=0.5")
    assert injected["schema_drift"] > 0
    for entity, r in reports.items():
        assert r.balanced and r.landed + r.quarantined == clean_reports[entity].landed, entity
    rows = _rows(tmp_path, "post_metrics")
    assert any(r["_extras"] and "video_tag" in json.loads(r["_extras"]) for r in rows)
    manifest = json.loads((tmp_path / "raw" / P / "post_metrics" / f"dt={DAY}" / "_manifest.json").read_text())
    assert manifest["new_fields"].get("video_tag", 0) > 0


def test_counts_drifting_into_display_strings_land_as_numbers(clean, tmp_path):
    lake, clean_reports = clean
    reports, injected = _pull(tmp_path, f"{P}:schema_drift=1,drift=string_count")
    assert injected["schema_drift"] > 0
    for entity, r in reports.items():
        assert r.quarantined == 0 and r.landed == clean_reports[entity].landed, entity
    before = {r["item_id"]: r for r in _rows(lake, "post_metrics")}
    for after in _rows(tmp_path, "post_metrics"):
        exact = before[after["item_id"]]["digg_count"]
        # "1.2万" is all a display string says: the number lands, to the display's precision.
        assert isinstance(after["digg_count"], int) and abs(after["digg_count"] - exact) <= 0.05 * exact + 1


def test_late_rows_are_caught_by_the_next_days_lookback_and_land_once(tmp_path):
    def ids(lake, entity, day):
        key = schema.NATURAL_KEYS[entity][0]
        return {r[key] for r in _rows(lake, entity, day)}

    _pull(tmp_path / "clean", day=DAY, n=1)
    _, injected = _pull(tmp_path / "late", f"{P}:late_rows=0.5", day=DAY, n=1)
    assert injected["late_rows"] > 0
    nxt = DAY + timedelta(days=1)
    _pull(tmp_path / "clean", day=nxt, n=1)
    _pull(tmp_path / "late", day=nxt, n=1)  # the platform now shows yesterday's late rows
    for entity in ("posts", "comments"):
        held, caught = ids(tmp_path / "late", entity, DAY), ids(tmp_path / "late", entity, nxt)
        missing = ids(tmp_path / "clean", entity, DAY) - held
        assert missing and missing <= caught, entity
        assert not held & caught, entity
        assert held | caught == ids(tmp_path / "clean", entity, DAY) | ids(tmp_path / "clean", entity, nxt)


def test_no_token_and_no_raw_follower_lands_in_files_logs_or_errors(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    _pull(tmp_path, f"{P}:throttle_in_200=0.1,duplicate_items=0.3,schema_drift=0.3")
    with pytest.raises(PlatformError) as err:
        _pull(tmp_path / "failed", f"{P}:expired_token=1", n=1)
    world = default_world()
    people = {x for kol in _kols() for f in world.audience_pool(kol) for x in (f.account_id, f.handle)}
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert files
    for path in files:
        data = path.read_bytes()
        assert TOKENS[P].encode() not in data, path
        text = str(pq.read_table(path).to_pylist()) if path.suffix == ".parquet" else data.decode("utf-8")
        assert not [p for p in people if p in text], path
    assert TOKENS[P] not in caplog.text and TOKENS[P] not in str(err.value)


# --------------------------------------------------------------------------- the contract and the normalisers

def test_the_schema_marks_followers_and_commenters_for_pseudonymisation():
    marked = {(e, f.name): pii_kind(f) for e, s in schema.SCHEMAS.items() for f in s if pii_kind(f)}
    assert marked == {("comments", "comment_user_id"): "id", ("audience", "open_id"): "id",
                      ("audience", "union_id"): "id", ("audience", "nickname"): "handle",
                      ("audience", "avatar"): "url"}
    for entity, fields in normalize.KNOWN_FIELDS.items():
        assert fields and entity in normalize.NORMALIZERS


def test_records_that_do_not_parse_are_quarantined_with_the_reason():
    good = {"item_id": "@a", "create_time": 1795217989, "title": "t",
            "statistics": {"digg_count": "1.2万", "comment_count": "-", "share_count": 3, "play_count": 0}}
    records = [RawRecord(good, {"snapshot_date": "2026-11-20", "open_id": "_0001"}),
               RawRecord(good | {"item_id": "@b", "create_time": 1795217989000}, {"snapshot_date": "2026-11-20",
                                                                                   "open_id": "_0001"}),
               RawRecord(good | {"item_id": "@c", "statistics": {"digg_count": -4}},
                         {"snapshot_date": "2026-11-20", "open_id": "_0001"}),
               RawRecord({"create_time": 1795217989}, {"snapshot_date": "2026-11-20", "open_id": "_0001"})]
    table, quarantined, duplicates = landing.normalize(P, "post_metrics", records, normalize.post_metrics)
    assert table.num_rows == 1 and duplicates == 0 and len(quarantined) == 3
    row = table.to_pylist()[0]
    assert row["digg_count"] == 12_000 and row["comment_count"] is None  # "1.2万" and "-"
    reasons = " | ".join(q["reason"] for q in quarantined)
    assert "outside 2000..2100" in reasons and "negative" in reasons and "no id" in reasons


def test_a_quarantined_comment_keeps_no_raw_commenter_id():
    commenter = "_000SQJwZ0MhfT4SQJwZ0MhQQI"
    broken = RawRecord({"comment_id": "@x", "comment_user_id": commenter, "create_time": "yesterday"},
                       {"item_id": "@v", "open_id": "_000kol"})
    _, quarantined, _ = landing.normalize(P, "comments", [broken], normalize.comments)
    assert len(quarantined) == 1 and commenter not in json.dumps(quarantined, ensure_ascii=False)
