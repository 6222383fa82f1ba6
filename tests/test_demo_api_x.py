"""The demo X API v2 over real HTTP on loopback, in X's own shape."""
from __future__ import annotations

import csv
import io
import re
import time
from datetime import date, datetime, timedelta, timezone

import requests

from tests.conftest import TOKENS

DAY = "2026-11-20"
X_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
SNOWFLAKE = re.compile(r"^[0-9]{1,19}$")
TWEET_FIELDS = "created_at,public_metrics,author_id,conversation_id,in_reply_to_user_id,referenced_tweets"
USER_FIELDS = "public_metrics,created_at,description,profile_image_url,verified"
METRICS = {"retweet_count", "reply_count", "like_count", "quote_count", "impression_count", "bookmark_count"}


def _world():
    from ingestion.demo.world import default_world

    return default_world()


def _kol(index: int = 1):
    return _world().kols("x")[index]


def x(api, path: str, token: str | None = None, **params) -> requests.Response:
    headers = {"Authorization": f"Bearer {token or TOKENS['x']}"}
    return requests.get(f"{api.base_url('x')}{path}", params={"export_date": DAY, **params}, headers=headers,
                        timeout=10)


def _walk(api, path: str, cursor: str, **params) -> tuple[list[dict], list[dict]]:
    """Every page of a list, following ``meta.next_token`` in the request parameter ``cursor``."""
    pages, token = [], None
    while True:
        body = x(api, path, **params, **({cursor: token} if token else {})).json()
        pages.append(body)
        token = body["meta"].get("next_token")
        if token is None:
            return [t for p in pages for t in p.get("data", [])], pages
        assert len(pages) < 200, "paging does not end"


def _day_posts(first: str, last: str = DAY):
    world = _world()
    return [p for k in world.kols("x") for p in world.posts_between(k, date.fromisoformat(first), date.fromisoformat(last))]


# ---------------------------------------------------------------- users

def test_a_user_has_only_the_fields_asked_for_in_xs_shape(demo_api):
    kol = _kol(1)
    plain = x(demo_api, f"/2/users/{kol.account_id}").json()
    assert set(plain["data"]) == {"id", "name", "username"} and plain["data"]["id"] == kol.account_id
    full = x(demo_api, f"/2/users/{kol.account_id}", **{"user.fields": USER_FIELDS}).json()["data"]
    assert X_TIME.match(full["created_at"]) and isinstance(full["verified"], bool)
    metrics = full["public_metrics"]
    assert {"followers_count", "following_count", "tweet_count", "listed_count", "like_count"} <= set(metrics)
    assert all(isinstance(v, int) for v in metrics.values())
    assert metrics["followers_count"] == _world().followers_on(kol, date.fromisoformat(DAY))
    by_name = x(demo_api, f"/2/users/by/username/{kol.handle.upper()}").json()
    assert by_name["data"]["id"] == kol.account_id


def test_an_unknown_user_is_an_error_inside_an_http_200(demo_api):
    for path in ("/2/users/12345", "/2/users/12345/tweets", "/2/users/12345/followers"):
        resp = x(demo_api, path)
        assert resp.status_code == 200 and "data" not in resp.json()
        err = resp.json()["errors"][0]
        assert err["type"].endswith("/resource-not-found") and err["resource_id"] == "12345"
        assert err["resource_type"] == "user" and err["title"] == "Not Found Error"


# ---------------------------------------------------------------- timelines

def test_the_timeline_pages_by_pagination_token_without_gaps_or_repeats(demo_api):
    kol = _kol(6)
    start = f"{date.fromisoformat(DAY) - timedelta(days=20)}T00:00:00Z"
    params = {"tweet.fields": TWEET_FIELDS, "start_time": start}
    paged, pages = _walk(demo_api, f"/2/users/{kol.account_id}/tweets", "pagination_token", max_results=5, **params)
    whole = x(demo_api, f"/2/users/{kol.account_id}/tweets", max_results=100, **params).json()
    assert "next_token" not in whole["meta"] and len(whole["data"]) > 10
    assert [t["id"] for t in paged] == [t["id"] for t in whole["data"]] and len(pages) == -(-len(paged) // 5)
    ids = [int(t["id"]) for t in paged]
    assert ids == sorted(set(ids), reverse=True)  # newest first, no repeats
    for page in pages:
        meta = page["meta"]
        assert meta["result_count"] == len(page["data"])
        assert (meta["newest_id"], meta["oldest_id"]) == (page["data"][0]["id"], page["data"][-1]["id"])
    expected = {p.post_id for p in _world().posts_between(kol, date.fromisoformat(DAY) - timedelta(days=20),
                                                          date.fromisoformat(DAY))}
    assert set(map(str, ids)) == expected
    for t in paged:
        assert SNOWFLAKE.match(t["id"]) and X_TIME.match(t["created_at"]) and t["author_id"] == kol.account_id
        assert set(t["public_metrics"]) == METRICS and all(isinstance(v, int) for v in t["public_metrics"].values())
        assert t["conversation_id"] == t["id"] and t["edit_history_tweet_ids"] == [t["id"]]
        assert datetime.fromisoformat(t["created_at"]) >= datetime.fromisoformat(start)


def test_an_empty_timeline_page_has_meta_but_no_data(demo_api):
    kol = _kol(6)
    newest = x(demo_api, f"/2/users/{kol.account_id}/tweets", max_results=5).json()["meta"]["newest_id"]
    empty = x(demo_api, f"/2/users/{kol.account_id}/tweets", since_id=newest).json()
    assert empty == {"meta": {"result_count": 0}}


def test_a_bad_parameter_is_xs_invalid_request_problem(demo_api):
    resp = x(demo_api, f"/2/users/{_kol().account_id}/tweets", max_results=3)
    body = resp.json()
    assert resp.status_code == 400 and body["title"] == "Invalid Request" and body["type"].endswith("/invalid-request")
    assert body["errors"][0]["parameters"] == {"max_results": ["3"]}
    forged = x(demo_api, f"/2/users/{_kol().account_id}/tweets", pagination_token="abcdefghijk")
    assert forged.status_code == 400 and "pagination_token" in forged.json()["errors"][0]["parameters"]


def test_counters_grow_day_over_day_and_lookups_answer_partially(demo_api):
    post = next(p for p in _day_posts("2026-11-18", "2026-11-18"))
    seen = []
    for d in ("2026-11-18", "2026-11-19", "2026-11-20"):
        body = x(demo_api, "/2/tweets", ids=f"{post.post_id},12345", export_date=d,
                 **{"tweet.fields": "public_metrics"}).json()
        assert [t["id"] for t in body["data"]] == [post.post_id]
        assert body["errors"][0]["resource_id"] == "12345"  # not found, beside the data, in an HTTP 200
        seen.append(body["data"][0]["public_metrics"])
    for name in ("like_count", "impression_count"):
        values = [m[name] for m in seen]
        assert values == sorted(values) and values[0] < values[-1]


def test_two_identical_requests_give_byte_identical_bodies(demo_api):
    path = f"/2/users/{_kol(3).account_id}/tweets"
    params = {"max_results": 20, "tweet.fields": TWEET_FIELDS}
    assert x(demo_api, path, **params).content == x(demo_api, path, **params).content


# ---------------------------------------------------------------- replies

def _post_with_replies():
    world = _world()
    as_of = datetime.fromisoformat(f"{DAY}T23:59:59+00:00")
    for post in _day_posts("2026-11-16"):
        comments = world.comments_on(post, as_of)
        if len(comments) > 25 and any(c.reply_to_id for c in comments):
            return world.kol(post.account_id), post
    raise AssertionError("the world has no post with KOL replies")


def test_recent_search_pages_a_conversation_by_next_token(demo_api):
    kol, post = _post_with_replies()
    params = {"query": f"conversation_id:{post.post_id}", "tweet.fields": TWEET_FIELDS, "expansions": "author_id",
              "user.fields": "public_metrics,created_at"}
    paged, pages = _walk(demo_api, "/2/tweets/search/recent", "next_token", max_results=10, **params)
    whole = x(demo_api, "/2/tweets/search/recent", max_results=100, **params).json()
    assert [t["id"] for t in paged] == [t["id"] for t in whole["data"]] and len(pages) > 1
    assert len({t["id"] for t in paged}) == len(paged)
    ids = {t["id"] for t in paged}
    for t in paged:
        assert t["conversation_id"] == post.post_id and X_TIME.match(t["created_at"])
        (ref,) = t["referenced_tweets"]
        assert ref["type"] == "replied_to"
        if t["author_id"] == kol.account_id:  # the KOL answers a follower's reply
            assert ref["id"] != post.post_id and t["in_reply_to_user_id"] != kol.account_id
        else:
            assert ref["id"] == post.post_id and t["in_reply_to_user_id"] == kol.account_id
    assert any(t["author_id"] == kol.account_id for t in paged)
    answered = [t for t in paged if t["author_id"] == kol.account_id and t["referenced_tweets"][0]["id"] in ids]
    assert answered  # the replies a KOL answers are in the same conversation
    for page in pages:
        authors = {u["id"] for u in page["includes"]["users"]}
        assert authors == {t["author_id"] for t in page["data"]}
    assert "is_fake" not in str(pages) and "'kind'" not in str(pages)


def test_recent_search_only_reaches_seven_days_back(demo_api):
    old = next(p for p in _day_posts("2026-11-01", "2026-11-02") if p.final_comments > 0)
    gone = x(demo_api, "/2/tweets/search/recent", query=f"conversation_id:{old.post_id}").json()
    assert gone == {"meta": {"result_count": 0}}
    too_early = x(demo_api, "/2/tweets/search/recent", query=f"conversation_id:{old.post_id}",
                  start_time="2026-11-01T00:00:00Z")
    assert too_early.status_code == 400 and "start_time" in too_early.json()["errors"][0]["parameters"]


# ---------------------------------------------------------------- followers

def test_followers_page_the_audience_sample_with_profile_signals(demo_api):
    kol = _kol(3)
    users, pages = _walk(demo_api, f"/2/users/{kol.account_id}/followers", "pagination_token", max_results=7,
                         **{"user.fields": "public_metrics,created_at,description,profile_image_url"})
    sample = _world().audience_sample(kol, date.fromisoformat(DAY))
    assert [u["id"] for u in users] == [f.account_id for f in sample] and len(pages) == -(-len(sample) // 7)
    for u, f in zip(users, sample):
        assert X_TIME.match(u["created_at"]) and u["profile_image_url"].startswith("https://")
        assert u["public_metrics"]["followers_count"] == f.followers and u["description"] == f.bio
        if f.avatar_url is None:
            assert "default_profile" in u["profile_image_url"]
        assert not {"is_fake", "kind"} & set(u)


# ---------------------------------------------------------------- auth, limits, faults

def test_a_bad_or_missing_token_is_xs_unauthorized_problem(demo_api):
    path = f"/2/users/{_kol().account_id}"
    missing = requests.get(f"{demo_api.base_url('x')}{path}", params={"export_date": DAY}, timeout=10)
    wrong = x(demo_api, path, token="nope")
    for resp in (missing, wrong):
        assert resp.status_code == 401
        assert resp.json() == {"title": "Unauthorized", "detail": "Unauthorized", "type": "about:blank", "status": 401}


def test_rate_limit_headers_count_down_within_a_window(demo_api):
    path = f"/2/users/{_kol(2).account_id}"
    first, second = x(demo_api, path), x(demo_api, path)
    for resp in (first, second):
        assert int(resp.headers["x-rate-limit-limit"]) >= int(resp.headers["x-rate-limit-remaining"]) >= 1
        assert int(resp.headers["x-rate-limit-reset"]) > time.time() - 1
    if first.headers["x-rate-limit-reset"] == second.headers["x-rate-limit-reset"]:
        assert int(second.headers["x-rate-limit-remaining"]) < int(first.headers["x-rate-limit-remaining"])


def test_the_fault_dialect_speaks_x_through_the_injector():
    from ingestion.demo.faults import FaultConfig
    from ingestion.demo.server import DemoExportServer

    answers = {}
    for mode in ("quota_exceeded", "throttle_in_200", "http_429", "expired_token"):
        with DemoExportServer(tokens=TOKENS, faults=FaultConfig.parse(f"x:{mode}=1,retry_after=2")) as api:
            answers[mode] = x(api, f"/2/users/{_kol().account_id}")
    quota = answers["quota_exceeded"]
    assert quota.status_code == 429 and quota.json()["title"] == "UsageCapExceeded"
    assert quota.json()["type"].endswith("/usage-capped") and quota.json()["period"] == "Monthly"
    throttled = answers["throttle_in_200"]
    assert throttled.status_code == 200 and throttled.json()["errors"][0]["code"] == 88 and "data" not in throttled.json()
    limited = answers["http_429"]
    assert limited.status_code == 429 and limited.json() == {"errors": [{"code": 88, "message": "Rate limit exceeded"}]}
    assert limited.headers["x-rate-limit-remaining"] == "0" and int(limited.headers["x-rate-limit-reset"]) > time.time()
    assert answers["expired_token"].status_code == 401 and answers["expired_token"].json()["status"] == 401


def test_the_fault_dialect_reads_every_list_it_pages(demo_api):
    from ingestion.demo.api_common import dig
    from ingestion.demo.x_api import FAULT_DIALECT as D

    kol, post = _post_with_replies()
    bodies = [x(demo_api, f"/2/users/{kol.account_id}/tweets", max_results=5, **{"tweet.fields": "created_at"}),
              x(demo_api, "/2/tweets/search/recent", query=f"conversation_id:{post.post_id}",
                **{"tweet.fields": "created_at"}),
              x(demo_api, f"/2/users/{kol.account_id}/followers", max_results=3, **{"user.fields": "created_at"})]
    for resp in bodies:
        body = resp.json()
        items = next(dig(body, k) for k in D.list_keys if isinstance(dig(body, k), list))
        assert items and D.next_cursor(body) == body["meta"]["next_token"]
        assert all(D.item_time(i).tzinfo == timezone.utc for i in items)
    assert D.next_cursor({"meta": {"result_count": 0}}) is None


# ---------------------------------------------------------------- analytics export

def test_tweet_activity_export_is_byte_deterministic_and_matches_the_api(demo_api):
    from ingestion.demo.world import World
    from ingestion.demo.x_api import export_files

    day = date.fromisoformat(DAY)
    first, second = export_files(World(), day), export_files(World(), day)
    assert first == second and len(first) == 1
    (name, payload), = first.items()
    assert DAY in name and name.endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(payload.decode("utf-8"))))
    assert {"Tweet id", "Account id", "Account username", "Tweet permalink", "time", "impressions", "likes"} <= set(rows[0])
    assert {r["Tweet id"] for r in rows} == {p.post_id for p in _day_posts("2026-11-14")} and len(rows) > 20
    row = rows[0]
    assert row["Tweet permalink"].endswith(f"/{row['Account username']}/status/{row['Tweet id']}")
    metrics = x(demo_api, "/2/tweets", ids=row["Tweet id"], **{"tweet.fields": "public_metrics"}).json()["data"][0]
    assert int(row["likes"]) == metrics["public_metrics"]["like_count"]
    assert int(row["impressions"]) == metrics["public_metrics"]["impression_count"]
    assert re.match(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2} \+0000$", row["time"])
