"""The YouTube connector against the demo YouTube Data API over real HTTP on loopback:
what lands agrees with the demo world, and a hostile API (faults injected by the server)
loses nothing, retries what waiting cures and fails fast, in words, on what it does not."""
from __future__ import annotations

import json
from datetime import date, timedelta, timezone

import pyarrow.parquet as pq
import pytest

from ingestion.contract import LOADED_AT_COLUMN
from ingestion.demo.api_common import end_of
from ingestion.demo.faults import FaultConfig
from ingestion.demo.server import DemoExportServer
from ingestion.demo.world import default_world
from ingestion.http import PlatformError, PlatformHttp
from ingestion.landing import normalize
from ingestion.platforms.base import RawRecord, lookback_window_start
from ingestion.platforms.youtube import client, normalize as yt_normalize, schema
from ingestion.privacy import pseudonymise
from ingestion.pull import pull_platform_day
from ingestion.schemas import ENTITIES, schema_for
from ingestion.settings import PlatformSettings
from tests.conftest import TOKENS

P = "youtube"
DAY = date(2026, 11, 20)
END = end_of(DAY)


@pytest.fixture(autouse=True)
def registered(monkeypatch):
    """Until YouTube is listed in CONNECTED_PLATFORMS, register it for each test."""
    from ingestion import landing, pull, schemas

    if P not in schemas.CONNECTED_PLATFORMS:
        monkeypatch.setitem(schemas.SCHEMAS, P, schema.SCHEMAS)
        monkeypatch.setitem(schemas.NATURAL_KEYS, P, schema.NATURAL_KEYS)
        monkeypatch.setattr(landing, "PLATFORMS", (*landing.PLATFORMS, P))
        monkeypatch.setitem(pull.CONNECTORS, P, (client.CONNECTOR, yt_normalize.NORMALIZERS))
        if hasattr(pull, "KNOWN_FIELDS"):
            monkeypatch.setitem(pull.KNOWN_FIELDS, P, yt_normalize.KNOWN_FIELDS)


@pytest.fixture(autouse=True)
def waits(monkeypatch):
    """The waits the shared session asks for between retries, recorded instead of slept."""
    import tenacity

    asked: list[float] = []
    monkeypatch.setattr(tenacity.nap, "sleep", asked.append)
    return asked


def _kols(n=3):
    return default_world().kols(P)[:n]


def _pull(spec, lake, n=3, day=DAY, **settings):
    faults = FaultConfig.parse(spec, seed=5) if spec else None
    with DemoExportServer(tokens=TOKENS, faults=faults) as server:
        cfg = PlatformSettings(P, server.base_url(P), TOKENS[P], **settings)
        reports = pull_platform_day(P, day, lake=lake, settings=cfg, accounts=[k.account_id for k in _kols(n)])
        return {r.entity: r for r in reports}, server.faults_injected.get(P, {}), server.requests_served


def _rows(lake, entity, day=DAY):
    # The landed content: _loaded_at tells two landings of the same rows apart.
    table = pq.read_table(lake / "raw" / P / entity / f"dt={day}" / "data.parquet")
    return table.drop_columns([LOADED_AT_COLUMN]).to_pylist()


def _rounded(n: int) -> int:
    if n < 1000:
        return n
    step = 10 ** (len(str(n)) - 3)
    return n // step * step


def _balanced(reports):
    for r in reports.values():
        assert r.fetched == r.landed + r.quarantined + r.duplicates, r


# ---------------------------------------------------------------- a clean day


def test_a_day_of_every_channel_lands_each_entity_with_balanced_accounting(demo_api, lake):
    settings = PlatformSettings(P, demo_api.base_url(P), TOKENS[P])
    reports = pull_platform_day(P, DAY, lake=lake, settings=settings,
                                accounts=[k.account_id for k in default_world().kols(P)])
    assert [r.entity for r in reports] == list(ENTITIES)
    for r in reports:
        assert r.balanced and r.landed > 0 and r.quarantined == 0, r
        table = pq.read_table(r.path)
        assert table.schema.equals(schema_for(P, r.entity), check_metadata=False)
        manifest = json.loads((lake / "raw" / P / r.entity / f"dt={DAY}" / "_manifest.json").read_text())
        assert manifest["fetched"] == manifest["landed"] + manifest["quarantined"] + manifest["duplicates"]
        # Channels and videos come 50 ids a call; one call per video for comments, one per channel
        # for uploads and subscribers: far fewer requests than records.
        assert 0 < manifest["platform_day_requests"] < 200


def test_counts_are_ints_ids_strings_and_times_utc_inside_their_windows(demo_api, lake):
    _pull("", lake, n=4)
    metrics = pq.read_table(lake / "raw" / P / "post_metrics" / f"dt={DAY}" / "data.parquet")
    assert str(metrics.schema.field("viewCount").type) == "int64" and str(metrics.schema.field("id").type) == "string"
    assert all(isinstance(v, int) for v in metrics.column("viewCount").to_pylist())
    for entity, column, start in (("posts", "publishedAt", lookback_window_start(DAY)),
                                  ("comments", "publishedAt", lookback_window_start(DAY))):
        table = pq.read_table(lake / "raw" / P / entity / f"dt={DAY}" / "data.parquet")
        assert table.schema.field(column).type.tz == "UTC"
        times = table.column(column).to_pylist()
        assert times and all(start <= t <= END for t in times)
        assert {t.astimezone(timezone.utc).date() for t in times} == {DAY - timedelta(days=d) for d in range(3)}


def test_landed_rows_agree_with_the_demo_world(demo_api, lake):
    world = default_world()
    kols = _kols(3)
    _pull("", lake, n=3)
    profiles = {r["id"]: r for r in _rows(lake, "profiles")}
    metrics = {r["id"]: r for r in _rows(lake, "post_metrics")}
    posts = {r["id"] for r in _rows(lake, "posts")}
    comments = _rows(lake, "comments")
    audience = _rows(lake, "audience")
    for kol in kols:
        profile = profiles[kol.account_id]
        # YouTube shows subscribers rounded down to three significant digits: so does the lake.
        assert profile["subscriberCount"] == _rounded(world.followers_on(kol, DAY))
        assert profile["videoCount"] == world.posts_count_on(kol, DAY)
        assert profile["uploadsPlaylistId"] == "UU" + kol.account_id[2:]
        tracked = world.posts_between(kol, DAY - timedelta(days=6), DAY)
        assert {p.post_id for p in tracked} == {i for i, m in metrics.items() if m["channelId"] == kol.account_id}
        for post in tracked:
            c = world.counters(post, END)
            m = metrics[post.post_id]
            assert (m["viewCount"], m["likeCount"], m["commentCount"]) == (c.views, c.likes, c.comments)
        assert {p.post_id for p in world.posts_between(kol, DAY - timedelta(days=2), DAY)} <= posts
        expected = [(c.created_at, c.text, c.author is None) for p in tracked for c in world.comments_on(p, END)
                    if c.created_at >= lookback_window_start(DAY)]
        landed = [(r["publishedAt"], r["textDisplay"], r["authorChannelId"] == kol.account_id)
                  for r in comments if r["channelId"] == kol.account_id]
        assert sorted(landed) == sorted(expected) and expected
        sample = world.audience_sample(kol, DAY)
        mine = {r["subscriberChannelId"]: r for r in audience if r["resourceChannelId"] == kol.account_id}
        # Subscribers are pseudonymised on landing; the same person gets the same pseudonym.
        assert set(mine) == {pseudonymise(f.account_id, P) for f in sample}
        for f in sample:
            row = mine[pseudonymise(f.account_id, P)]
            assert (row["subscriberCount"], row["videoCount"], row["subscriptionCount"]) == (
                _rounded(f.followers), f.posts, f.following)
            assert row["publishedAt"] == f.created_at and row["description"] == f.bio
    assert len(posts) == sum(len(world.posts_between(k, DAY - timedelta(days=2), DAY)) for k in kols)


def test_the_channels_replies_point_at_the_comment_they_answer(demo_api, lake):
    world = default_world()
    kols = _kols(4)
    _pull("", lake, n=4)
    rows = _rows(lake, "comments")
    by_text = {(r["videoId"], r["publishedAt"], r["textDisplay"]): r for r in rows}
    replies = [r for r in rows if r["parentId"] is not None]
    assert replies, "the demo channels answer some comments"
    # A reply is written by the channel that owns the video, and its id extends its thread's.
    assert all(r["authorChannelId"] == r["channelId"] for r in replies)
    assert all(r["id"].startswith(r["parentId"] + ".") for r in replies)
    checked = 0
    for kol in kols:
        for post in world.posts_between(kol, DAY - timedelta(days=6), DAY):
            said = world.comments_on(post, END)
            by_id = {c.comment_id: c for c in said}
            for c in said:
                if c.reply_to_id is None or c.created_at < lookback_window_start(DAY):
                    continue
                parent = by_id[c.reply_to_id]
                reply = by_text[(post.post_id, c.created_at, c.text)]
                if parent.created_at >= lookback_window_start(DAY):  # else landed on an earlier day
                    top = by_text[(post.post_id, parent.created_at, parent.text)]
                    assert reply["parentId"] == top["id"] and top["parentId"] is None
                    assert top["totalReplyCount"] == sum(1 for r in said if r.reply_to_id == parent.comment_id)
                    checked += 1
    assert checked > 0


def test_small_pages_walk_every_list_without_gaps_or_repeats(demo_api, tmp_path, monkeypatch):
    _pull("", tmp_path / "big", n=3)
    monkeypatch.setattr(client, "PAGE_SIZE", 3)
    monkeypatch.setattr(client, "THREADS_PAGE_SIZE", 7)
    monkeypatch.setattr(client, "BATCH", 4)
    reports, _, requests = _pull("", tmp_path / "small", n=3)
    for entity in ENTITIES:
        assert reports[entity].duplicates == 0
        assert _rows(tmp_path / "small", entity) == _rows(tmp_path / "big", entity), entity
    assert requests > 50


def test_an_unknown_channel_fails_naming_it(demo_api, lake):
    settings = PlatformSettings(P, demo_api.base_url(P), TOKENS[P])
    with pytest.raises(PlatformError) as err:
        pull_platform_day(P, DAY, lake=lake, settings=settings,
                          accounts=[_kols(1)[0].account_id, "UCxxxxxxxxxxxxxxxxxxxxxx"])
    assert err.value.kind == "fatal" and "UCxxxxxxxxxxxxxxxxxxxxxx" in str(err.value)
    assert not lake.exists()


# ---------------------------------------------------------------- classifier and normalisers


@pytest.mark.parametrize("status, body, kind", [
    (200, {"kind": "youtube#videoListResponse", "items": []}, None),
    # Both 403: the reason tells the day's quota (fail fast) from the per-minute limit (wait).
    (403, {"error": {"code": 403, "errors": [{"domain": "youtube.quota", "reason": "quotaExceeded"}]}}, "quota"),
    (403, {"error": {"code": 403, "errors": [{"domain": "usageLimits", "reason": "rateLimitExceeded"}]}}, "throttle"),
    (403, {"error": {"code": 403, "errors": [{"domain": "usageLimits", "reason": "dailyLimitExceeded"}]}}, "quota"),
    (200, {"error": {"code": 403, "errors": [{"domain": "usageLimits", "reason": "rateLimitExceeded"}]}}, "throttle"),
    (429, {"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "errors": [{"reason": "rateLimitExceeded"}]}},
     "throttle"),
    (401, {"error": {"code": 401, "errors": [{"reason": "authError"}], "status": "UNAUTHENTICATED"}}, "auth"),
    (401, {"error": {"code": 401, "errors": [{"reason": "required", "message": "Login Required."}]}}, "auth"),
    (400, {"error": {"code": 400, "errors": [{"reason": "badRequest"}],
                     "details": [{"reason": "API_KEY_INVALID"}]}}, "auth"),
    (403, {"error": {"code": 403, "errors": [{"reason": "forbidden"}]}}, "auth"),
    (500, {"error": {"code": 500, "errors": [{"reason": "backendError"}]}}, "transient"),
    (503, {"unexpected": True}, "transient"),
    (404, {"error": {"code": 404, "errors": [{"reason": "videoNotFound", "domain": "youtube.commentThread"}]}},
     "fatal"),
    (400, {"error": {"code": 400, "errors": [{"reason": "invalidPageToken"}]}}, "fatal"),
    (200, ["not", "an", "object"], "fatal"),
])
def test_every_answer_is_classified_by_its_reason(status, body, kind):
    verdict = client.classify(status, body)
    assert (verdict[0] if verdict else None) == kind


def test_unknown_counts_and_hidden_likes_land_as_null_and_bad_times_are_quarantined():
    video = {"id": "abcdefghijk", "snippet": {"publishedAt": "2026-11-20T01:02:03Z", "channelId": "UCa"},
             "statistics": {"viewCount": "1,234", "likeCount": "-", "favoriteCount": "0"}}
    row = yt_normalize.post_metrics(video, {"snapshot_date": "2026-11-20", "channel_id": "UCa"})
    assert (row["viewCount"], row["likeCount"], row["commentCount"]) == (1234, None, None)
    shown = yt_normalize.post_metrics(dict(video, statistics={"viewCount": "1.2M", "likeCount": "12K"}),
                                      {"snapshot_date": "2026-11-20"})
    assert (shown["viewCount"], shown["likeCount"], shown["channelId"]) == (1_200_000, 12_000, "UCa")
    late = dict(video, id="bcdefghijkl", snippet={"publishedAt": "2026-11-20T01:02:03"})  # no zone
    table, quarantined, duplicates = normalize(P, "posts", [RawRecord(video, {"channel_id": "UCa"}),
                                                            RawRecord(video, {"channel_id": "UCa"}),
                                                            RawRecord(late, {"channel_id": "UCa"})],
                                               yt_normalize.posts)
    assert (table.num_rows, duplicates, len(quarantined)) == (1, 1, 1)
    assert "no zone" in quarantined[0]["reason"]
    assert table.column("publishedAt").to_pylist()[0].tzinfo is not None


def test_a_page_token_that_comes_back_stops_the_walk():
    class LoopingHttp(PlatformHttp):
        def get(self, path, params=None, headers=None, classify=None):
            return 200, {"items": [{"id": "x"}], "nextPageToken": "CAUQAA"}

    http = LoopingHttp(PlatformSettings(P, "http://127.0.0.1:9", TOKENS[P]))
    with pytest.raises(PlatformError, match="did not advance") as err:
        list(client.YouTubeConnector(http)._pages("playlistItems", playlistId="UUx"))
    assert err.value.kind == "fatal"


# ---------------------------------------------------------------- a hostile API


def test_repeated_items_are_counted_as_duplicates_and_land_once(tmp_path):
    clean, _, _ = _pull("", tmp_path / "clean")
    hostile, injected, _ = _pull("youtube:duplicate_items=1", tmp_path / "dup")
    assert injected["duplicate_items"] > 0
    assert sum(r.duplicates for r in hostile.values()) > 0
    _balanced(hostile)
    for entity in ENTITIES:
        assert _rows(tmp_path / "dup", entity) == _rows(tmp_path / "clean", entity), entity


def test_throttles_in_403_bodies_200_bodies_and_429s_are_retried_and_the_day_lands_whole(tmp_path, waits):
    _pull("", tmp_path / "clean")
    # About one request in three is throttled, and which one depends on how the concurrent
    # requests interleave: 12 retries make a run of 13 refusals in a row (p ~ 1e-6) no flake.
    reports, injected, _ = _pull("youtube:throttle_in_200=0.2,http_429=0.2,retry_after=3", tmp_path / "slow",
                                 retries=12)
    assert injected["throttle_in_200"] > 0 and injected["http_429"] > 0
    _balanced(reports)
    for entity in ENTITIES:
        assert _rows(tmp_path / "slow", entity) == _rows(tmp_path / "clean", entity), entity
    # A 429 waits as long as its Retry-After says; a rateLimitExceeded without one backs off.
    assert 3.0 in waits and min(waits) < 3.0
    manifest = json.loads((tmp_path / "slow" / "raw" / P / "profiles" / f"dt={DAY}" / "_manifest.json").read_text())
    assert manifest["platform_day_retries"] == len(waits)


def test_a_throttle_that_does_not_pass_fails_as_a_throttle_not_a_quota(tmp_path, waits):
    with pytest.raises(PlatformError) as err:
        _pull("youtube:throttle_in_200=1", tmp_path, retries=2)
    assert err.value.kind == "throttle" and "rateLimitExceeded" in str(err.value)
    assert len(waits) == 2
    assert not (tmp_path / "raw").exists()


def test_a_retry_after_beyond_the_cap_fails_now_with_a_clear_message(tmp_path, waits):
    with pytest.raises(PlatformError) as err:
        _pull("youtube:http_429=1,retry_after=7200", tmp_path, retry_after_max_s=30)
    assert err.value.kind == "throttle" and "7200" in str(err.value) and "KOL_HTTP_RETRY_AFTER_MAX_S" in str(err.value)
    assert waits == []


def test_the_daily_quota_fails_fast_without_a_retry_and_says_when_it_resets(tmp_path):
    # Mid-walk: a quota error on a later request fails the day there, after one quota answer.
    with pytest.raises(PlatformError) as err:
        _pull("youtube:quota_exceeded=0.1", tmp_path, retries=6)
    message = str(err.value)
    assert err.value.kind == "quota"
    assert "quotaExceeded" in message and "resets at midnight America/Los_Angeles" in message
    with DemoExportServer(tokens=TOKENS, faults=FaultConfig.parse("youtube:quota_exceeded=1")) as server:
        cfg = PlatformSettings(P, server.base_url(P), TOKENS[P], retries=6)
        with pytest.raises(PlatformError) as first:
            pull_platform_day(P, DAY, lake=tmp_path, settings=cfg, accounts=[_kols(1)[0].account_id])
        assert first.value.kind == "quota"
        assert server.faults_injected[P] == {"quota_exceeded": 1}, "a spent quota is never asked again"
    assert not (tmp_path / "raw").exists()


def test_an_expired_token_fails_as_auth_naming_the_variable_to_renew(tmp_path):
    with pytest.raises(PlatformError) as err:
        _pull("youtube:expired_token=1", tmp_path, retries=3)
    assert err.value.kind == "auth" and "KOL_YOUTUBE_ACCESS_TOKEN" in str(err.value)
    assert TOKENS[P] not in str(err.value)
    assert not (tmp_path / "raw").exists()


def test_a_wrong_token_fails_as_auth_without_showing_it(demo_api, lake):
    bad = "yt-wrong-token-must-not-leak"
    with pytest.raises(PlatformError) as err:
        pull_platform_day(P, DAY, lake=lake, settings=PlatformSettings(P, demo_api.base_url(P), bad, retries=0),
                          accounts=[_kols(1)[0].account_id])
    assert err.value.kind == "auth" and "KOL_YOUTUBE_ACCESS_TOKEN" in str(err.value) and bad not in str(err.value)


def test_a_burst_of_gateway_errors_is_retried_and_the_day_lands_whole(tmp_path):
    _pull("", tmp_path / "clean")
    _, injected, _ = _pull("youtube:server_error=0.05,burst=2", tmp_path / "burst", retries=6)
    assert injected["server_error"] > 0
    for entity in ENTITIES:
        assert _rows(tmp_path / "burst", entity) == _rows(tmp_path / "clean", entity), entity


def test_truncated_bodies_are_retried_and_the_day_lands_whole(tmp_path):
    _pull("", tmp_path / "clean")
    _, injected, _ = _pull("youtube:truncated=0.2", tmp_path / "cut", retries=10)
    assert injected["truncated"] > 0
    for entity in ENTITIES:
        assert _rows(tmp_path / "cut", entity) == _rows(tmp_path / "clean", entity), entity


def test_a_body_that_stays_truncated_fails_as_transient_and_lands_nothing(tmp_path):
    with pytest.raises(PlatformError) as err:
        _pull("youtube:truncated=1", tmp_path, retries=2)
    assert err.value.kind == "transient" and "not JSON" in str(err.value)
    assert TOKENS[P] not in str(err.value)
    assert not (tmp_path / "raw").exists()


def test_schema_drift_loses_nothing_and_new_fields_are_kept(tmp_path):
    reports, injected, _ = _pull("youtube:schema_drift=0.3,drift=missing_field+new_field", tmp_path)
    assert injected["schema_drift"] > 0
    _balanced(reports)
    quarantined = sum(r.quarantined for r in reports.values())
    lines = [line for p in (tmp_path / "quarantine").rglob("records.jsonl") for line in p.read_text().splitlines()]
    assert len(lines) == quarantined
    manifests = [json.loads(p.read_text()) for p in (tmp_path / "raw").rglob("_manifest.json")]
    assert any("topicDetails" in m["new_fields"] for m in manifests)


def test_counts_drifting_into_display_strings_still_land_as_numbers(tmp_path):
    clean, _, _ = _pull("", tmp_path / "clean")
    drifted, injected, _ = _pull("youtube:schema_drift=1,drift=string_count", tmp_path / "drift")
    assert injected["schema_drift"] > 0
    for entity in ENTITIES:
        assert drifted[entity].quarantined == 0 and drifted[entity].landed == clean[entity].landed, entity
    assert _rows(tmp_path / "drift", "comments") == _rows(tmp_path / "clean", "comments")


def test_late_rows_are_caught_by_the_next_days_lookback(tmp_path):
    world = default_world()
    lake = tmp_path / "lake"
    _, injected, _ = _pull("youtube:late_rows=0.5", lake)
    _pull("youtube:late_rows=0.5", lake, day=DAY + timedelta(days=1))
    assert injected["late_rows"] > 0
    created = {p.post_id for k in _kols(3) for p in world.posts_created_on(k, DAY)}
    first = {r["id"] for r in _rows(lake, "posts")} & created
    both = first | ({r["id"] for r in _rows(lake, "posts", DAY + timedelta(days=1))} & created)
    assert first < created, "some of the day's videos were shown late"
    assert both == created, "the next day's lookback lands them"


def test_no_token_reaches_a_landed_file_a_quarantine_a_manifest_or_an_error(tmp_path):
    _pull("youtube:schema_drift=0.5,duplicate_items=0.3,http_429=0.1,retry_after=0", tmp_path / "a", retries=6)
    with pytest.raises(PlatformError) as err:
        _pull("youtube:expired_token=0.2", tmp_path / "b")
    assert TOKENS[P] not in str(err.value)
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name == "_manifest.json" for p in files)
    for path in files:
        assert TOKENS[P].encode() not in path.read_bytes(), path
