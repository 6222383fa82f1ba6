"""The demo Douyin open platform over real HTTP: its envelope, ids, times, cursor paging and errors."""
import csv
import io
import re
from datetime import date, datetime, timedelta, timezone

import requests

from tests.conftest import TOKENS

DAY = date(2026, 11, 20)
EARLY = date(2025, 1, 12)  # a short history, so paging can be walked to its end
LOGID = re.compile(r"^\d{14}[0-9A-F]{20}$")


def _world():
    from ingestion.demo.world import default_world

    return default_world()


def _get(api, path, token=TOKENS["douyin"], day=DAY, **params):
    headers = {"access-token": token} if token else {}
    return requests.get(f"{api.base_url('douyin')}{path}", headers=headers,
                        params={"export_date": day.isoformat(), **params}, timeout=10)


def _data(resp):
    body = resp.json()
    assert resp.status_code == 200 and body["data"]["error_code"] == 0 and body["extra"]["error_code"] == 0, body
    return body["data"]


def _videos(api, open_id, day=DAY, count=20):
    return _data(_get(api, "/api/douyin/v1/video/video_list/", day=day, open_id=open_id, count=count))["list"]


def _with_kol_reply(day):
    """A video of the day before ``day`` that its creator answered a comment on."""
    from ingestion.demo.api_common import end_of

    world = _world()
    for kol in world.kols("douyin"):
        for post in world.posts_created_on(kol, day - timedelta(days=1)):
            if any(c.author is None for c in world.comments_on(post, end_of(day))):
                return kol, post
    raise AssertionError("no creator reply in the demo world")


def test_video_list_speaks_douyin(demo_api):
    body = _get(demo_api, "/api/douyin/v1/video/video_list/", open_id=_world().kols("douyin")[0].account_id,
                count=5).json()
    data, extra = body["data"], body["extra"]
    assert data["error_code"] == 0 and data["description"] == "" and len(data["list"]) == 5
    assert LOGID.match(extra["logid"]) and isinstance(extra["now"], int) and extra["sub_error_code"] == 0
    day_end = datetime(2026, 11, 21, tzinfo=timezone.utc).timestamp()
    for item in data["list"]:
        assert isinstance(item["item_id"], str) and item["item_id"].startswith("@")
        assert isinstance(item["create_time"], int) and item["create_time"] < day_end
        assert set(item["statistics"]) == {"digg_count", "comment_count", "share_count", "play_count",
                                           "forward_count", "download_count"}
        assert all(isinstance(v, int) and not isinstance(v, bool) for v in item["statistics"].values())
    times = [i["create_time"] for i in data["list"]]
    assert times == sorted(times, reverse=True) and isinstance(data["cursor"], int) and data["has_more"] is True


def test_video_list_walks_the_whole_history_by_cursor_without_gaps_or_repeats(demo_api):
    from ingestion.demo.world import WORLD_EPOCH

    kol = _world().kols("douyin")[3]
    expected = [p.post_id for p in reversed(_world().posts_between(kol, WORLD_EPOCH, EARLY))]
    seen, cursor, pages = [], 0, 0
    while True:
        data = _data(_get(demo_api, "/api/douyin/v1/video/video_list/", day=EARLY, open_id=kol.account_id,
                          count=3, cursor=cursor))
        seen += [i["item_id"] for i in data["list"]]
        pages += 1
        if not data["has_more"]:
            break
        assert data["cursor"] != cursor
        cursor = data["cursor"]
    assert len(expected) > 6 and seen == expected and pages == -(-len(expected) // 3)


def _ts(day) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=timezone.utc).timestamp())


def test_play_count_is_often_zero_but_item_data_has_the_plays(demo_api):
    items = [(kol, i) for kol in _world().kols("douyin")[:4] for i in _videos(demo_api, kol.account_id)]
    zero = [(kol, i) for kol, i in items if i["statistics"]["play_count"] == 0 and i["statistics"]["digg_count"] > 0]
    assert zero and any(i["statistics"]["play_count"] > 0 for _, i in items)
    # Item data is T+1: the export of the day after holds the plays as of this day's end.
    owner, item = next((k, i) for k, i in zero if i["create_time"] < _ts(DAY))
    base = _data(_get(demo_api, "/data/external/item/base/", open_id=owner.account_id, day=DAY + timedelta(days=1),
                      item_id=item["item_id"]))["result"]
    assert base["total_play"] > base["total_like"] == item["statistics"]["digg_count"]
    # A video published on the export day has no item data yet.
    fresh = next(((k, i) for k, i in items if i["create_time"] >= _ts(DAY)), None)
    if fresh is not None:
        base = _data(_get(demo_api, "/data/external/item/base/", open_id=fresh[0].account_id,
                          item_id=fresh[1]["item_id"]))["result"]
        assert base["total_play"] == base["total_like"] == 0


def test_errors_are_in_http_200_bodies_with_douyin_codes(demo_api):
    kol = _world().kols("douyin")[0]
    for token in ("wrong", None):
        resp = _get(demo_api, "/oauth/userinfo/", token=token, open_id=kol.account_id)
        body = resp.json()
        assert resp.status_code == 200 and body["data"]["error_code"] == body["extra"]["error_code"] == 2190002
        assert TOKENS["douyin"] not in resp.text
    assert _get(demo_api, "/oauth/userinfo/", open_id="_000nobody").json()["data"]["error_code"] == 2190015
    # Item data exists only for videos under 30 days old.
    old = next(p for n in range(40, 60) for p in _world().posts_created_on(kol, DAY - timedelta(days=n)))
    body = _get(demo_api, "/data/external/item/base/", open_id=kol.account_id, item_id=old.post_id).json()
    assert body["data"]["error_code"] == 2100005 and "30" in body["extra"]["sub_description"]
    unfinished = datetime.now(timezone.utc).date()
    body = _get(demo_api, "/oauth/userinfo/", day=unfinished, open_id=kol.account_id).json()
    assert body["data"]["error_code"] == 2100005 and "not a finished day" in body["extra"]["sub_description"]


def test_user_info_and_fans_series_agree_day_by_day(demo_api):
    kol = _world().kols("douyin")[1]
    info = _data(_get(demo_api, "/oauth/userinfo/", open_id=kol.account_id))
    assert info["open_id"] == kol.account_id and isinstance(info["follower_count"], int)
    series = _data(_get(demo_api, "/data/external/user/fans/", open_id=kol.account_id, date_type=7))["result_list"]
    assert [r["date"] for r in series] == [(DAY - timedelta(days=n)).isoformat() for n in range(6, -1, -1)]
    assert series[-1]["total_fans"] == info["follower_count"]
    assert all(b["total_fans"] - a["total_fans"] == b["new_fans"] for a, b in zip(series, series[1:]))
    before = _data(_get(demo_api, "/oauth/userinfo/", day=DAY - timedelta(days=1), open_id=kol.account_id))
    assert before["follower_count"] == series[-2]["total_fans"]


def test_counters_grow_day_over_day(demo_api):
    kol, post = _with_kol_reply(DAY)
    first = {i["item_id"]: i["statistics"] for i in _videos(demo_api, kol.account_id, day=DAY - timedelta(days=1))}
    then = {i["item_id"]: i["statistics"] for i in _videos(demo_api, kol.account_id)}
    common = first.keys() & then.keys()
    assert post.post_id in common
    assert all(then[i][k] >= first[i][k] for i in common for k in first[i])
    assert then[post.post_id]["digg_count"] > first[post.post_id]["digg_count"]
    assert then[post.post_id]["comment_count"] > first[post.post_id]["comment_count"]


def test_comments_page_by_cursor_and_creator_replies_hang_under_them(demo_api):
    kol, post = _with_kol_reply(DAY)
    args = {"open_id": kol.account_id, "item_id": post.post_id}
    whole = _data(_get(demo_api, "/item/comment/list/", count=50, **args))
    paged, cursor = [], 0
    while True:
        data = _data(_get(demo_api, "/item/comment/list/", count=2, cursor=cursor, **args))
        paged += data["list"]
        if not data["has_more"]:
            break
        cursor = data["cursor"]
    assert not whole["has_more"] and [c["comment_id"] for c in paged] == [c["comment_id"] for c in whole["list"]]
    assert all(isinstance(c["comment_id"], str) and isinstance(c["create_time"], int) for c in paged)
    answered = [c for c in paged if c["reply_comment_total"] > 0]
    assert answered
    replies = _data(_get(demo_api, "/item/comment/reply/list/", comment_id=answered[0]["comment_id"], **args))["list"]
    assert len(replies) == answered[0]["reply_comment_total"]
    assert all(r["comment_user_id"] == kol.account_id and r["create_time"] >= answered[0]["create_time"]
               for r in replies)


def test_fans_list_is_the_audience_sample_with_profile_signals(demo_api):
    kol = _world().kols("douyin")[2]
    seen, cursor = [], 0
    while True:
        data = _data(_get(demo_api, "/fans/list/", open_id=kol.account_id, count=7, cursor=cursor))
        seen += data["list"]
        if not data["has_more"]:
            break
        cursor = data["cursor"]
    assert len(seen) == len({f["open_id"] for f in seen}) > 7
    assert data["total"] > len(seen)
    for fan in seen:
        assert {"follower_count", "following_count", "aweme_count", "create_time"} <= fan.keys()
        assert fan["avatar"].startswith("https://") and "is_fake" not in fan and "kind" not in fan


def test_same_request_same_bytes(demo_api):
    kol = _world().kols("douyin")[0]
    a = _get(demo_api, "/api/douyin/v1/video/video_list/", open_id=kol.account_id, count=10)
    b = _get(demo_api, "/api/douyin/v1/video/video_list/", open_id=kol.account_id, count=10)
    assert a.status_code == 200 and a.content == b.content


def test_export_files_are_byte_deterministic_and_look_like_the_dashboard():
    from ingestion.demo import douyin_api
    from ingestion.demo.world import World

    first, second = douyin_api.export_files(World(), DAY), douyin_api.export_files(World(), DAY)
    assert first == second and list(first) == [f"douyin_works_{DAY}.csv"]
    raw = first[f"douyin_works_{DAY}.csv"]
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:3] == ["账号ID", "抖音昵称", "作品ID"] and "播放量" in rows[0] and "点赞量" in rows[0]
    accounts = {k.account_id for k in World().kols("douyin")}
    assert len(rows) > 20 and {r[0] for r in rows[1:]} <= accounts
    published = [datetime.strptime(r[4], "%Y-%m-%d %H:%M:%S") for r in rows[1:]]
    # Beijing time: the seven UTC days end at 08:00 the next morning.
    assert all(datetime(2026, 11, 14, 8) <= t < datetime(2026, 11, 21, 8) for t in published)
    assert all(int(r[6]) >= 0 and int(r[7]) >= 0 for r in rows[1:])
