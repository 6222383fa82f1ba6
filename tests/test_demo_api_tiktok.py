"""The demo TikTok API v2 over real HTTP: bearer tokens, ``fields`` selection,
millisecond cursors, "-" metrics, the Research API's comments and followers."""
from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta

import requests

from tests.conftest import TOKENS

DAY = date(2026, 11, 20)
LOG_ID = re.compile(r"^\d{14}[0-9A-F]{18}$")
VIDEO_FIELDS = "id,create_time,like_count,comment_count,share_count,view_count,title,duration"
COMMENT_FIELDS = "id,video_id,text,like_count,reply_count,parent_comment_id,create_time"
HEADERS = {"Authorization": f"Bearer {TOKENS['tiktok']}"}


def _world():
    from ingestion.demo.world import default_world

    return default_world()


def _busiest():
    return max(_world().kols("tiktok"), key=lambda k: k.posts_per_day)


def _call(api, method, path, body=None, export_date=DAY, headers=None, **params) -> requests.Response:
    params = {"export_date": export_date.isoformat(), **params}
    return requests.request(method, f"{api.base_url('tiktok')}{path}", params=params, json=body,
                            headers=HEADERS if headers is None else headers, timeout=10)


def _videos(api, body, kol=None, **kw) -> requests.Response:
    kol = kol or _busiest()
    return _call(api, "POST", "/v2/video/list/", body, open_id=kol.account_id, fields=VIDEO_FIELDS, **kw)


def _is_count(value) -> bool:
    return value == "-" or (isinstance(value, int) and not isinstance(value, bool) and value >= 0)


def test_video_list_walks_the_whole_history_by_millisecond_cursor(demo_api):
    kol = _busiest()
    walked, cursor, pages = [], None, 0
    while True:
        body = {"max_count": 20} | ({"cursor": cursor} if cursor is not None else {})
        resp = _videos(demo_api, body, kol)
        payload = resp.json()
        assert resp.status_code == 200 and payload["error"]["code"] == "ok" and LOG_ID.match(payload["error"]["log_id"])
        data = payload["data"]
        assert len(data["videos"]) <= 20
        walked += data["videos"]
        pages += 1
        if not data["has_more"]:
            break
        assert cursor is None or data["cursor"] < cursor  # epoch ms, moving back in time
        assert data["cursor"] // 1000 == data["videos"][-1]["create_time"]
        cursor = data["cursor"]
    from ingestion.demo.world import WORLD_EPOCH

    expected = [p.post_id for p in _world().posts_between(kol, WORLD_EPOCH, DAY)]
    ids = [v["id"] for v in walked]
    assert len(ids) == len(set(ids)) == len(expected) and pages == -(-len(expected) // 20)
    assert sorted(map(str, ids)) == sorted(expected)
    assert [v["create_time"] for v in walked] == sorted((v["create_time"] for v in walked), reverse=True)
    for v in walked:
        assert set(v) == set(VIDEO_FIELDS.split(","))  # only the fields asked for
        assert isinstance(v["id"], int) and v["id"] > 2**62 and isinstance(v["create_time"], int)
        assert all(_is_count(v[f]) for f in ("like_count", "comment_count", "share_count", "view_count"))
        assert isinstance(v["like_count"], int) and isinstance(v["comment_count"], int)
    # Some metrics TikTok cannot give yet come as "-", for views and shares, and not for most videos.
    dashes = [v for v in walked if "-" in (v["view_count"], v["share_count"])]
    assert 0 < len(dashes) < len(walked) / 4


def test_fields_max_count_and_tokens_are_checked_in_tiktoks_envelope(demo_api):
    kol = _busiest()
    few = _call(demo_api, "POST", "/v2/video/list/", {"max_count": 2}, open_id=kol.account_id, fields="id,title")
    assert [set(v) for v in few.json()["data"]["videos"]] == [{"id", "title"}] * 2
    for resp, status, code in (
        (_videos(demo_api, {"max_count": 21}), 400, "invalid_params"),
        (_call(demo_api, "POST", "/v2/video/list/", {}, open_id=kol.account_id), 400, "invalid_params"),
        (_videos(demo_api, {}, headers={}), 401, "access_token_invalid"),
        (_videos(demo_api, {}, headers={"Authorization": "Bearer expired"}), 401, "access_token_invalid"),
        (_call(demo_api, "GET", "/v2/video/list/", open_id=kol.account_id, fields="id"), 405, "invalid_params"),
    ):
        error = resp.json()["error"]
        assert resp.status_code == status and error["code"] == code and LOG_ID.match(error["log_id"])
        assert error["message"] and resp.json()["data"] == {}


def test_user_info_and_counters_grow_day_over_day(demo_api):
    kol = _busiest()
    fields = "open_id,display_name,username,follower_count,following_count,likes_count,video_count"
    user = _call(demo_api, "GET", "/v2/user/info/", open_id=kol.account_id, fields=fields).json()["data"]["user"]
    assert set(user) == set(fields.split(",")) and user["open_id"] == kol.account_id
    assert all(isinstance(user[f], int) for f in ("follower_count", "following_count", "likes_count", "video_count"))
    post = _world().posts_created_on(kol, DAY - timedelta(days=2))[0]
    seen = []
    for day in (DAY - timedelta(days=2), DAY - timedelta(days=1), DAY):
        resp = _call(demo_api, "POST", "/v2/video/query/", {"filters": {"video_ids": [post.post_id]}},
                     export_date=day, open_id=kol.account_id, fields="id,like_count,comment_count")
        (video,) = resp.json()["data"]["videos"]
        assert video["id"] == int(post.post_id)
        seen.append(video["like_count"])
    assert seen == sorted(seen) and seen[0] < seen[-1]
    unborn = _call(demo_api, "POST", "/v2/video/query/", {"filters": {"video_ids": [post.post_id]}},
                   export_date=DAY - timedelta(days=3), open_id=kol.account_id, fields="id")
    assert unborn.json()["data"]["videos"] == []  # not posted yet: left out


def test_research_comments_page_by_offset_with_replies_pointing_at_their_parent(demo_api):
    from ingestion.demo.api_common import end_of

    world, kol = _world(), _busiest()
    post = max(world.posts_between(kol, DAY - timedelta(days=6), DAY),
               key=lambda p: len(world.comments_on(p, end_of(DAY))))
    walked, cursor = [], 0
    while True:
        data = _call(demo_api, "POST", "/v2/research/video/comment/list/",
                     {"video_id": int(post.post_id), "max_count": 9, "cursor": cursor},
                     fields=COMMENT_FIELDS).json()["data"]
        walked += data["comments"]
        assert data["cursor"] == cursor + len(data["comments"])
        cursor = data["cursor"]
        if not data["has_more"]:
            break
    assert len(walked) == len(world.comments_on(post, end_of(DAY))) > 9
    ids = {c["id"] for c in walked}
    assert len(ids) == len(walked) and all(isinstance(i, int) for i in ids)
    top = [c for c in walked if c["parent_comment_id"] == c["video_id"] == int(post.post_id)]
    replies = [c for c in walked if c["parent_comment_id"] != c["video_id"]]
    assert top and all(r["parent_comment_id"] in ids for r in replies)
    for c in top:
        assert c["reply_count"] == sum(r["parent_comment_id"] == c["id"] for r in replies)
    assert all(isinstance(c["create_time"], int) and isinstance(c["like_count"], int) for c in walked)


def test_research_followers_page_to_the_end_with_profile_fields(demo_api):
    kol = _busiest()
    walked, cursor = [], 0
    while True:
        data = _call(demo_api, "POST", "/v2/research/user/followers/",
                     {"username": kol.handle, "max_count": 7, "cursor": cursor}).json()["data"]
        walked += data["user_followers"]
        cursor = data["cursor"]
        if not data["has_more"]:
            break
    assert len(walked) == len(_world().audience_sample(kol, DAY))
    assert len({f["username"] for f in walked}) == len(walked)
    for f in walked:
        assert {"display_name", "username", "avatar_url", "follower_count", "following_count"} <= set(f)
        assert isinstance(f["follower_count"], int) and f["avatar_url"].startswith("https://")
        assert "is_fake" not in f and "kind" not in f
    nobody = _call(demo_api, "POST", "/v2/research/user/followers/", {"username": "no_such_user_99"})
    assert nobody.status_code == 400 and nobody.json()["error"]["code"] == "invalid_params"


def test_the_same_request_gives_the_same_bytes(demo_api):
    for _ in range(2):
        a, b = (_videos(demo_api, {"max_count": 20}).content for _ in range(2))
        assert a == b
    later = _videos(demo_api, {"max_count": 20}, export_date=DAY + timedelta(days=1)).content
    assert later != a


def test_throttle_in_200_is_the_marketing_apis_40100_and_the_quota_is_research_daily():
    from ingestion.demo.faults import FaultConfig
    from ingestion.demo.server import DemoExportServer

    with DemoExportServer(tokens=TOKENS, faults=FaultConfig.parse("tiktok:throttle_in_200=1")) as server:
        resp = _videos(server, {"max_count": 5})
        assert resp.status_code == 200 and resp.json()["code"] == 40100 and resp.json()["request_id"]
    with DemoExportServer(tokens=TOKENS, faults=FaultConfig.parse("tiktok:quota_exceeded=1")) as server:
        resp = _videos(server, {"max_count": 5})
        assert resp.status_code == 429 and resp.json()["error"]["code"] == "daily_quota_limit_exceeded"


def test_export_files_are_byte_deterministic_with_the_dashboards_headers():
    from ingestion.demo.tiktok_api import export_files
    from ingestion.demo.world import World

    a, b = export_files(World(), DAY), export_files(World(), DAY)
    assert a == b and list(a) == [f"tiktok_content_{DAY.isoformat()}.csv"]
    rows = list(csv.DictReader(io.StringIO(next(iter(a.values())).decode("utf-8"))))
    assert {"Video ID", "Account ID", "Username", "Post time", "Total views", "Total likes"} <= set(rows[0])
    world = World()
    expected = sum(len(world.posts_between(k, DAY - timedelta(days=6), DAY)) for k in world.kols("tiktok"))
    assert len(rows) == expected and all(r["Total views"].isdigit() for r in rows)
