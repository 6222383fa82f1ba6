"""The X connector against the demo X API v2 over real HTTP on loopback: what lands agrees
with the demo world, and a hostile API (faults injected by the server) loses nothing, waits
out what waiting cures and fails fast, in words, on what it does not."""
from __future__ import annotations

import json
import time
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
from ingestion.platforms.x import client, normalize as x_normalize, schema
from ingestion.privacy import pseudonymise
from ingestion.pull import pull_platform_day
from ingestion.schemas import ENTITIES, schema_for
from ingestion.settings import PlatformSettings
from tests.conftest import TOKENS

P = "x"
DAY = date(2026, 11, 20)
END = end_of(DAY)
DEFAULT_AVATAR = "https://abs.twimg.com/sticky/default_profile_images/default_profile_normal.png"


@pytest.fixture(autouse=True)
def registered(monkeypatch):
    """Until X is listed in CONNECTED_PLATFORMS, register it for each test."""
    from ingestion import landing, pull, schemas

    if P not in schemas.CONNECTED_PLATFORMS:
        monkeypatch.setitem(schemas.SCHEMAS, P, schema.SCHEMAS)
        monkeypatch.setitem(schemas.NATURAL_KEYS, P, schema.NATURAL_KEYS)
        monkeypatch.setattr(landing, "PLATFORMS", (*landing.PLATFORMS, P))
        monkeypatch.setitem(pull.CONNECTORS, P, (client.CONNECTOR, x_normalize.NORMALIZERS))
        if hasattr(pull, "KNOWN_FIELDS"):
            monkeypatch.setitem(pull.KNOWN_FIELDS, P, x_normalize.KNOWN_FIELDS)


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


def _balanced(reports):
    for r in reports.values():
        assert r.fetched == r.landed + r.quarantined + r.duplicates, r


def _ms(ts):
    return ts.replace(microsecond=ts.microsecond // 1000 * 1000)  # X's times carry milliseconds


# ---------------------------------------------------------------- a clean day


def test_a_day_of_every_account_lands_each_entity_with_balanced_accounting(demo_api, lake):
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
        assert 0 < manifest["platform_day_requests"] < 200


def test_ids_are_strings_counts_ints_and_times_utc_inside_their_windows(demo_api, lake):
    _pull("", lake, n=4)
    metrics = pq.read_table(lake / "raw" / P / "post_metrics" / f"dt={DAY}" / "data.parquet")
    assert str(metrics.schema.field("id").type) == "string" and str(metrics.schema.field("like_count").type) == "int64"
    assert all(i.isdigit() and len(i) > 15 for i in metrics.column("id").to_pylist())  # snowflakes, intact
    for entity in ("posts", "comments"):
        table = pq.read_table(lake / "raw" / P / entity / f"dt={DAY}" / "data.parquet")
        assert table.schema.field("created_at").type.tz == "UTC"
        times = table.column("created_at").to_pylist()
        assert times and all(lookback_window_start(DAY) <= t <= END for t in times)
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
        assert profile["username"] == kol.handle  # the KOL keeps its name
        assert (profile["followers_count"], profile["following_count"], profile["tweet_count"]) == (
            world.followers_on(kol, DAY), world.following_on(kol, DAY), world.posts_count_on(kol, DAY))
        tracked = world.posts_between(kol, DAY - timedelta(days=6), DAY)
        assert {p.post_id for p in tracked} == {i for i, m in metrics.items() if m["author_id"] == kol.account_id}
        for post in tracked:
            c = world.counters(post, END)
            m = metrics[post.post_id]
            assert (m["like_count"], m["retweet_count"], m["reply_count"], m["bookmark_count"],
                    m["impression_count"]) == (c.likes, c.shares, c.comments, c.saves, c.views)
        assert {p.post_id for p in world.posts_between(kol, DAY - timedelta(days=2), DAY)} <= posts
        expected = [(_ms(c.created_at), c.text, c.author is None) for p in tracked for c in world.comments_on(p, END)
                    if c.created_at >= lookback_window_start(DAY)]
        landed = [(r["created_at"], r["text"], r["author_id"] == kol.account_id)
                  for r in comments if r["conversation_author_id"] == kol.account_id]
        assert sorted(landed) == sorted(expected) and expected
        sample = world.audience_sample(kol, DAY)
        mine = {r["id"]: r for r in audience if r["followed_user_id"] == kol.account_id}
        # Followers are pseudonymised on landing; the same person gets the same pseudonym.
        assert set(mine) == {pseudonymise(f.account_id, P) for f in sample}
        for f in sample:
            row = mine[pseudonymise(f.account_id, P)]
            assert (row["followers_count"], row["following_count"], row["tweet_count"]) == (
                f.followers, f.following, f.posts)
            assert row["created_at"] == f.created_at and row["description"] == f.bio
            assert (row["profile_image_url"] == DEFAULT_AVATAR) == (f.avatar_url is None)
            assert f.account_id not in (row["profile_image_url"] or "")  # the id inside the URL is replaced
    assert len(posts) == sum(len(world.posts_between(k, DAY - timedelta(days=2), DAY)) for k in kols)


def test_replies_point_at_what_they_answer_and_name_no_follower(demo_api, lake):
    world = default_world()
    kols = _kols(4)
    _pull("", lake, n=4)
    rows = _rows(lake, "comments")
    by_text = {(r["conversation_id"], r["created_at"], r["text"]): r for r in rows}
    followers = [r for r in rows if r["author_id"] != r["conversation_author_id"]]
    answers = [r for r in rows if r["author_id"] == r["conversation_author_id"]]
    assert followers and answers
    # A follower replies to the post; its author and handle are pseudonyms.
    assert all(r["replied_to_id"] == r["conversation_id"] and r["in_reply_to_user_id"] == r["conversation_author_id"]
               and r["author_id"].startswith("p_") and r["username"].startswith("p_") for r in followers)
    # The account answers a follower's reply: the follower it answers is a pseudonym too, and the
    # leading @mention that would name them is not in the landed text.
    assert all(r["in_reply_to_user_id"].startswith("p_") and not r["text"].startswith("@") for r in answers)
    checked = 0
    for kol in kols:
        for post in world.posts_between(kol, DAY - timedelta(days=6), DAY):
            said = world.comments_on(post, END)
            by_id = {c.comment_id: c for c in said}
            for c in said:
                if c.reply_to_id is None or c.created_at < lookback_window_start(DAY):
                    continue
                parent = by_id[c.reply_to_id]
                answer = by_text[(post.post_id, _ms(c.created_at), c.text)]
                assert answer["in_reply_to_user_id"] == pseudonymise(parent.author_id, P)
                if parent.created_at >= lookback_window_start(DAY):  # else landed on an earlier day
                    assert answer["replied_to_id"] == by_text[(post.post_id, _ms(parent.created_at), parent.text)]["id"]
                    checked += 1
    assert checked > 0


def test_small_pages_walk_every_list_without_gaps_or_repeats(demo_api, tmp_path, monkeypatch):
    _pull("", tmp_path / "big", n=3)
    monkeypatch.setattr(client, "TIMELINE_PAGE", 5)
    monkeypatch.setattr(client, "SEARCH_PAGE", 10)
    monkeypatch.setattr(client, "FOLLOWERS_PAGE", 3)
    reports, _, requests = _pull("", tmp_path / "small", n=3)
    for entity in ENTITIES:
        assert reports[entity].duplicates == 0
        assert _rows(tmp_path / "small", entity) == _rows(tmp_path / "big", entity), entity
    assert requests > 40


def test_an_unknown_user_in_a_200_body_fails_naming_it(demo_api, lake):
    settings = PlatformSettings(P, demo_api.base_url(P), TOKENS[P])
    with pytest.raises(PlatformError) as err:
        pull_platform_day(P, DAY, lake=lake, settings=settings, accounts=["123456789"])
    assert err.value.kind == "fatal" and "Could not find user with id: [123456789]" in str(err.value)
    with pytest.raises(PlatformError, match="not an X user id"):
        pull_platform_day(P, DAY, lake=lake, settings=settings, accounts=["../users/1"])
    assert not lake.exists()


# ---------------------------------------------------------------- classifier and normalisers

NOT_FOUND = {"value": "1", "detail": "Could not find tweet with ids: [1].", "title": "Not Found Error",
             "resource_type": "tweet", "type": "https://api.twitter.com/2/problems/resource-not-found"}


@pytest.mark.parametrize("status, body, kind", [
    (200, {"data": [{"id": "2"}], "meta": {"result_count": 1}}, None),
    (200, {"meta": {"result_count": 0}}, None),  # an empty page has no data
    (200, {"data": [{"id": "2"}], "errors": [NOT_FOUND]}, None),  # partial: the found items are good
    (200, {"errors": [NOT_FOUND]}, "fatal"),  # nothing found
    (200, {"errors": [{"code": 88, "message": "Rate limit exceeded"}]}, "throttle"),
    (200, {"errors": [{"code": 130, "message": "Over capacity"}]}, "throttle"),
    (200, {"data": [{"id": "2"}], "errors": [{"code": 88, "message": "Rate limit exceeded"}]}, "throttle"),
    (200, {"errors": [{"code": 89, "message": "Invalid or expired token."}]}, "auth"),
    (200, {}, "fatal"),  # neither data nor an empty page
    (429, {"errors": [{"code": 88, "message": "Rate limit exceeded"}]}, "throttle"),
    (429, {"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank", "status": 429},
     "throttle"),
    (429, {"title": "UsageCapExceeded", "detail": "Usage cap exceeded: Monthly product cap",
           "type": "https://api.twitter.com/2/problems/usage-capped", "period": "Monthly", "scope": "Product"},
     "quota"),
    (401, {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}, "auth"),
    (403, {"title": "Client Forbidden", "type": "https://api.twitter.com/2/problems/client-not-enrolled"}, "auth"),
    (400, {"title": "Invalid Request", "type": "https://api.twitter.com/2/problems/invalid-request"}, "fatal"),
    (404, {"errors": [{"code": 34, "message": "Sorry, that page does not exist"}]}, "fatal"),
    (500, {"title": "Internal Server Error", "type": "about:blank", "status": 500}, "transient"),
])
def test_every_answer_is_classified(status, body, kind):
    verdict = client.classify(status, body)
    assert (verdict[0] if verdict else None) == kind


def test_a_spent_rate_limit_window_waits_until_its_reset(monkeypatch):
    monkeypatch.setattr(client, "_now", lambda: 1_000.0)
    assert client.rate_limit_wait({"x-rate-limit-remaining": "0", "x-rate-limit-reset": "1600"}) == 600
    assert client.rate_limit_wait({"x-rate-limit-remaining": "0", "x-rate-limit-reset": "900"}) == 1  # already past
    assert client.rate_limit_wait({"x-rate-limit-remaining": "7", "x-rate-limit-reset": "1600"}) is None
    # A Retry-After says it more precisely; the shared session reads that one itself.
    assert client.rate_limit_wait({"Retry-After": "5", "x-rate-limit-remaining": "0",
                                   "x-rate-limit-reset": "1600"}) is None


def test_display_counts_parse_unknown_counts_are_null_and_bad_records_are_quarantined():
    post = {"id": "2123460802638774528", "author_id": "11", "created_at": "2026-11-19T16:58:02.000Z",
            "public_metrics": {"like_count": "12.3K", "retweet_count": "1.5M", "reply_count": "1,204",
                               "impression_count": "-"}}
    row = x_normalize.post_metrics(post, {"snapshot_date": "2026-11-20"})
    assert (row["like_count"], row["retweet_count"], row["reply_count"], row["impression_count"],
            row["quote_count"]) == (12_300, 1_500_000, 1_204, None, None)
    reply = {"id": "3", "author_id": "12", "created_at": "2026-11-20T01:00:00.000Z", "text": "@takes00 great point",
             "display_text_range": [9, 20], "in_reply_to_user_id": "11",
             "referenced_tweets": [{"type": "replied_to", "id": "2123460802638774528"}]}
    ctx = {"conversation_id": "2123460802638774528", "conversation_author_id": "11"}
    assert x_normalize.comments(reply, ctx)["text"] == "great point"
    bad = [RawRecord(dict(reply, created_at="2026-11-20 01:00"), ctx),  # no zone
           RawRecord(dict(reply, id="4", author_id=None), ctx),
           RawRecord(dict(reply, id="5", display_text_range=[9, 99]), ctx),
           RawRecord(reply, ctx), RawRecord(reply, ctx)]
    table, quarantined, duplicates = normalize(P, "comments", bad, x_normalize.comments)
    assert (table.num_rows, duplicates, len(quarantined)) == (1, 1, 3)
    reasons = " ".join(q["reason"] for q in quarantined)
    assert "no zone" in reasons and "reply author has no id" in reasons and "display_text_range" in reasons


def test_a_next_token_that_comes_back_stops_the_walk():
    class LoopingHttp(PlatformHttp):
        def get(self, path, params=None, headers=None, classify=None):
            return 200, {"data": [{"id": "1"}], "meta": {"result_count": 1, "next_token": "7mnsqoyeg3ogkre1j9q9"}}

    http = LoopingHttp(PlatformSettings(P, "http://127.0.0.1:9", TOKENS[P]))
    with pytest.raises(PlatformError, match="did not advance") as err:
        list(client.XConnector(http)._pages("/users/1/tweets", "pagination_token"))
    assert err.value.kind == "fatal"


# ---------------------------------------------------------------- a hostile API


def test_repeated_items_are_counted_as_duplicates_and_land_once(tmp_path):
    _pull("", tmp_path / "clean")
    hostile, injected, _ = _pull("x:duplicate_items=1", tmp_path / "dup")
    assert injected["duplicate_items"] > 0
    assert sum(r.duplicates for r in hostile.values()) > 0
    _balanced(hostile)
    for entity in ENTITIES:
        assert _rows(tmp_path / "dup", entity) == _rows(tmp_path / "clean", entity), entity


def test_rate_limits_in_429s_and_in_200_bodies_are_waited_out_and_the_day_lands_whole(tmp_path, waits):
    _pull("", tmp_path / "clean")
    # About one request in three is throttled, in an order the concurrent requests decide: 12
    # retries make 13 refusals in a row (p ~ 1e-6) no flake.
    reports, injected, _ = _pull("x:throttle_in_200=0.2,http_429=0.2,retry_after=2", tmp_path / "slow",
                                 retries=12, retry_after_max_s=900)
    assert injected["throttle_in_200"] > 0 and injected["http_429"] > 0
    _balanced(reports)
    for entity in ENTITIES:
        assert _rows(tmp_path / "slow", entity) == _rows(tmp_path / "clean", entity), entity
    # A 429 waits its Retry-After; a code 88 without one waits until the window's x-rate-limit-reset.
    window_end = (int(time.time()) // 900 + 1) * 900
    assert 2.0 in waits
    assert all(w == 2.0 or 0 < w <= window_end - time.time() + 5 for w in waits) and any(w != 2.0 for w in waits)


def test_a_window_that_resets_later_than_the_cap_fails_now_as_a_throttle(tmp_path, waits, monkeypatch):
    monkeypatch.setattr(client, "_now", lambda: (int(time.time()) // 900 + 1) * 900 - 600.0)
    with pytest.raises(PlatformError) as err:
        _pull("x:throttle_in_200=1", tmp_path, retries=4, retry_after_max_s=60)
    assert err.value.kind == "throttle" and "KOL_HTTP_RETRY_AFTER_MAX_S" in str(err.value)
    assert waits == [] and not (tmp_path / "raw").exists()


def test_the_monthly_usage_cap_fails_fast_without_a_retry_and_says_so(tmp_path, waits):
    with DemoExportServer(tokens=TOKENS, faults=FaultConfig.parse("x:quota_exceeded=1")) as server:
        cfg = PlatformSettings(P, server.base_url(P), TOKENS[P], retries=6)
        with pytest.raises(PlatformError) as err:
            pull_platform_day(P, DAY, lake=tmp_path, settings=cfg, accounts=[_kols(1)[0].account_id])
        assert server.requests_served == 1, "a spent cap is never asked again"
    message = str(err.value)
    assert err.value.kind == "quota" and "UsageCapExceeded" in message and "monthly usage cap" in message
    assert waits == [] and not (tmp_path / "raw").exists()
    # Mid-walk too: the first cap answer ends the day.
    with pytest.raises(PlatformError) as later:
        _pull("x:quota_exceeded=0.1", tmp_path, retries=6)
    assert later.value.kind == "quota"


def test_an_expired_token_fails_as_auth_naming_the_variable_to_renew(tmp_path):
    with pytest.raises(PlatformError) as err:
        _pull("x:expired_token=1", tmp_path, retries=3)
    assert err.value.kind == "auth" and "KOL_X_ACCESS_TOKEN" in str(err.value)
    assert TOKENS[P] not in str(err.value)
    assert not (tmp_path / "raw").exists()


def test_a_wrong_token_fails_as_auth_without_showing_it(demo_api, lake):
    bad = "x-wrong-bearer-must-not-leak"
    with pytest.raises(PlatformError) as err:
        pull_platform_day(P, DAY, lake=lake, settings=PlatformSettings(P, demo_api.base_url(P), bad, retries=0),
                          accounts=[_kols(1)[0].account_id])
    assert err.value.kind == "auth" and "KOL_X_ACCESS_TOKEN" in str(err.value) and bad not in str(err.value)


def test_gateway_errors_and_truncated_bodies_are_retried_and_the_day_lands_whole(tmp_path):
    _pull("", tmp_path / "clean")
    _, injected, _ = _pull("x:server_error=0.05,burst=2,truncated=0.1", tmp_path / "bad", retries=6)
    assert injected["server_error"] > 0 and injected["truncated"] > 0
    for entity in ENTITIES:
        assert _rows(tmp_path / "bad", entity) == _rows(tmp_path / "clean", entity), entity


def test_a_body_that_stays_truncated_fails_as_transient_and_lands_nothing(tmp_path):
    with pytest.raises(PlatformError) as err:
        _pull("x:truncated=1", tmp_path, retries=2)
    assert err.value.kind == "transient" and "not JSON" in str(err.value)
    assert not (tmp_path / "raw").exists()


def test_schema_drift_loses_nothing_and_new_fields_are_kept(tmp_path):
    reports, injected, _ = _pull("x:schema_drift=0.3,drift=missing_field+new_field", tmp_path)
    assert injected["schema_drift"] > 0
    _balanced(reports)
    quarantined = sum(r.quarantined for r in reports.values())
    lines = [line for p in (tmp_path / "quarantine").rglob("records.jsonl") for line in p.read_text().splitlines()]
    assert len(lines) == quarantined
    manifests = [json.loads(p.read_text()) for p in (tmp_path / "raw").rglob("_manifest.json")]
    assert any("possibly_sensitive" in m["new_fields"] for m in manifests)
    # A reply that lost its conversation_id still lands under the conversation it was read from.
    assert all(r["conversation_id"] for r in _rows(tmp_path, "comments"))


def test_counts_drifting_into_display_strings_still_land_as_numbers(tmp_path):
    clean, _, _ = _pull("", tmp_path / "clean")
    drifted, injected, _ = _pull("x:schema_drift=1,drift=string_count", tmp_path / "drift")
    assert injected["schema_drift"] > 0
    for entity in ENTITIES:
        assert drifted[entity].quarantined == 0 and drifted[entity].landed == clean[entity].landed, entity
    pairs = list(zip(_rows(tmp_path / "clean", "post_metrics"), _rows(tmp_path / "drift", "post_metrics")))
    assert any(before["like_count"] != after["like_count"] for before, after in pairs), "12.3K is not 12345"
    for before, after in pairs:
        for column in ("like_count", "retweet_count", "impression_count"):
            # "12.3K" is all a display string says: the number lands, to the display's precision.
            assert isinstance(after[column], int) and abs(after[column] - before[column]) <= 0.05 * before[column] + 1


def test_late_rows_are_caught_by_the_next_days_lookback(tmp_path):
    world = default_world()
    lake = tmp_path / "lake"
    _, injected, _ = _pull("x:late_rows=0.5", lake)
    _pull("x:late_rows=0.5", lake, day=DAY + timedelta(days=1))
    assert injected["late_rows"] > 0
    created = {p.post_id for k in _kols(3) for p in world.posts_created_on(k, DAY)}
    first = {r["id"] for r in _rows(lake, "posts")} & created
    both = first | ({r["id"] for r in _rows(lake, "posts", DAY + timedelta(days=1))} & created)
    assert first < created, "some of the day's posts were shown late"
    assert both == created, "the next day's lookback lands them"


def test_no_token_reaches_a_landed_file_a_quarantine_a_manifest_or_an_error(tmp_path, caplog):
    _pull("x:schema_drift=0.5,duplicate_items=0.3,http_429=0.1,retry_after=1", tmp_path / "a", retries=6)
    with pytest.raises(PlatformError) as err:
        _pull("x:expired_token=0.2", tmp_path / "b")
    assert TOKENS[P] not in str(err.value) and TOKENS[P] not in caplog.text
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name == "_manifest.json" for p in files)
    for path in files:
        assert TOKENS[P].encode() not in path.read_bytes(), path
