"""The demo Bilibili web API over real HTTP: the {code, message, ttl, data} envelope, SESSDATA and
WBI-signed queries, aid/bvid, pn/ps paging and errors in HTTP 200 bodies."""
import csv
import io
import re
from datetime import date, datetime, timedelta, timezone

import requests

from tests.conftest import TOKENS

DAY = date(2026, 11, 20)
EARLY = date(2025, 1, 12)
COOKIE = {"Cookie": f"buvid3=4A5B-infoc; SESSDATA={TOKENS['bilibili']}; bili_jct=0f1e"}
WBI = {"w_rid": "8f1c2f0d3b7e4a9c8d6e5f4a3b2c1d0e", "wts": "1795219199"}
LENGTH = re.compile(r"^\d{2,}:[0-5]\d$")
BVID = re.compile(r"^BV1[0-9A-Za-z]{9}$")


def _world():
    from ingestion.demo.world import default_world

    return default_world()


def _get(api, path, headers=COOKIE, day=DAY, **params):
    return requests.get(f"{api.base_url('bilibili')}{path}", headers=headers,
                        params={"export_date": day.isoformat(), **params}, timeout=10)


def _data(resp):
    body = resp.json()
    assert resp.status_code == 200 and body["code"] == 0 and body["ttl"] == 1, body
    return body["data"]


def _code(resp):
    assert resp.status_code == 200
    return resp.json()["code"]


def _space(api, mid, day=DAY, **params):
    return _data(_get(api, "/x/space/wbi/arc/search", day=day, mid=mid, order="pubdate", **WBI, **params))


def _with_kol_reply(day):
    from ingestion.demo.api_common import end_of

    world = _world()
    for kol in world.kols("bilibili"):
        for post in world.posts_created_on(kol, day - timedelta(days=1)):
            if any(c.author is None for c in world.comments_on(post, end_of(day))):
                return kol, post
    raise AssertionError("no creator reply in the demo world")


def test_space_list_speaks_bilibili(demo_api):
    kol = _world().kols("bilibili")[0]
    data = _space(demo_api, kol.account_id, ps=5)
    assert data["page"]["pn"] == 1 and data["page"]["ps"] == 5 and isinstance(data["page"]["count"], int)
    vlist = data["list"]["vlist"]
    assert len(vlist) == 5
    for v in vlist:
        assert isinstance(v["aid"], int) and BVID.match(v["bvid"]) and LENGTH.match(v["length"])
        assert isinstance(v["created"], int) and v["mid"] == int(kol.account_id) and v["author"] == kol.handle
        assert all(isinstance(v[k], int) for k in ("play", "comment", "video_review"))
    assert [v["created"] for v in vlist] == sorted((v["created"] for v in vlist), reverse=True)


def test_space_list_walks_the_whole_history_by_page_number(demo_api):
    from ingestion.demo.world import WORLD_EPOCH

    kol = _world().kols("bilibili")[2]
    expected = [p.post_id for p in reversed(_world().posts_between(kol, WORLD_EPOCH, EARLY))]
    seen, pn = [], 1
    while True:
        data = _space(demo_api, kol.account_id, day=EARLY, pn=pn, ps=4)
        vlist = data["list"]["vlist"]
        seen += [str(v["aid"]) for v in vlist]
        if len(vlist) < 4:  # page.count is the profile's count, not the list's: a short page ends it
            break
        pn += 1
    assert len(expected) > 8 and seen == expected
    assert _space(demo_api, kol.account_id, day=EARLY, pn=pn + 1, ps=4)["list"]["vlist"] == []


def test_bvid_is_the_real_reversible_encoding_of_aid(demo_api):
    from ingestion.demo.bilibili_api import av2bv, bv2av

    assert av2bv(170001) == "BV17x411w7KC" and bv2av("BV17x411w7KC") == 170001  # Bilibili's published pair
    kol = _world().kols("bilibili")[1]
    video = _space(demo_api, kol.account_id, ps=1)["list"]["vlist"][0]
    by_bvid = _data(_get(demo_api, "/x/web-interface/view", bvid=video["bvid"]))
    by_aid = _data(_get(demo_api, "/x/web-interface/view", aid=video["aid"]))
    assert by_bvid == by_aid and by_bvid["aid"] == video["aid"] and bv2av(video["bvid"]) == video["aid"]
    stat = by_bvid["stat"]
    assert stat["dislike"] == 0 and stat["view"] == video["play"] and stat["danmaku"] == video["video_review"]
    assert stat["reply"] == video["comment"] and by_bvid["owner"]["mid"] == int(kol.account_id)
    assert by_bvid["pubdate"] == video["created"] > by_bvid["ctime"]


def test_errors_are_in_http_200_bodies_with_bilibili_codes(demo_api):
    kol = _world().kols("bilibili")[0]
    for headers in ({}, {"Cookie": "SESSDATA=expired"}):
        resp = _get(demo_api, "/x/web-interface/card", headers=headers, mid=kol.account_id)
        assert _code(resp) == -101 and resp.json()["message"] == "账号未登录"
        assert TOKENS["bilibili"] not in resp.text
    unsigned = _get(demo_api, "/x/space/wbi/arc/search", mid=kol.account_id)
    assert _code(unsigned) == -403
    assert _code(_get(demo_api, "/x/web-interface/card", mid="1")) == -404
    assert _code(_get(demo_api, "/x/web-interface/view", bvid="BV1notabvid")) == -400
    # A deleted video: an id of this channel's format with nothing behind it.
    video = _world().posts_created_on(kol, DAY)[0]
    deleted = _world().ids.encode("bilibili", kol.index, video.created_at, 97)
    assert _world().post(deleted, "bilibili") is None
    assert _code(_get(demo_api, "/x/web-interface/view", aid=deleted)) == 62002


def test_a_video_is_under_review_between_upload_and_publication(demo_api):
    from ingestion.demo.api_common import end_of
    from ingestion.demo.bilibili_api import av2bv

    # A video uploaded (ctime) the day before it was published (pubdate).
    kol, post, view = next((k, p, v) for k in _world().kols("bilibili")
                           for p in _world().posts_created_on(k, DAY)
                           for v in [_data(_get(demo_api, "/x/web-interface/view", aid=p.post_id))]
                           if datetime.fromtimestamp(v["ctime"], timezone.utc).date() < DAY)
    uploaded = datetime.fromtimestamp(view["ctime"], timezone.utc).date()
    assert _code(_get(demo_api, "/x/web-interface/view", day=uploaded, bvid=av2bv(int(post.post_id)))) == 62004
    assert _code(_get(demo_api, "/x/web-interface/view", day=uploaded - timedelta(days=1), aid=post.post_id)) == -404
    listed = _space(demo_api, kol.account_id, day=uploaded, ps=50)["list"]["vlist"]
    assert post.post_id not in {str(v["aid"]) for v in listed} and end_of(uploaded) < post.created_at


def test_card_and_relation_stat_agree(demo_api):
    kol = _world().kols("bilibili")[4]
    card = _data(_get(demo_api, "/x/web-interface/card", mid=kol.account_id))
    stat = _data(_get(demo_api, "/x/relation/stat", vmid=kol.account_id))
    assert card["card"]["mid"] == kol.account_id and isinstance(stat["mid"], int)  # a string here, an int there
    assert card["card"]["fans"] == card["follower"] == stat["follower"]
    assert card["card"]["attention"] == stat["following"]
    earlier = _data(_get(demo_api, "/x/relation/stat", day=DAY - timedelta(days=30), vmid=kol.account_id))
    assert earlier["follower"] != stat["follower"]


def test_replies_page_by_number_and_the_up_answers_under_the_root(demo_api):
    kol, post = _with_kol_reply(DAY)
    args = {"type": 1, "oid": post.post_id}
    whole = _data(_get(demo_api, "/x/v2/reply", ps=49, **args))
    seen, pn = [], 1
    while True:
        data = _data(_get(demo_api, "/x/v2/reply", pn=pn, ps=3, **args))
        if data["replies"] is None:  # null, not [], past the last page
            break
        seen += data["replies"]
        pn += 1
    assert [r["rpid"] for r in seen] == [r["rpid"] for r in whole["replies"]]
    assert len(seen) == whole["page"]["count"] > 3 and pn - 1 == -(-len(seen) // 3)
    assert all(isinstance(r["rpid"], int) and isinstance(r["member"]["mid"], str) for r in seen)
    answered = [r for r in seen if r["up_action"]["reply"]]
    assert answered
    up = next(s for s in answered[0]["replies"] if s["mid"] == int(kol.account_id))
    assert up["root"] == up["parent"] == answered[0]["rpid"] and up["ctime"] >= answered[0]["ctime"]
    thread = _data(_get(demo_api, "/x/v2/reply/reply", root=answered[0]["rpid"], **args))
    assert thread["root"]["rpid"] == answered[0]["rpid"]
    assert [r["rpid"] for r in thread["replies"]] == [r["rpid"] for r in answered[0]["replies"]]


def test_counters_grow_day_over_day(demo_api):
    kol, post = _with_kol_reply(DAY)
    before = _data(_get(demo_api, "/x/web-interface/view", day=DAY - timedelta(days=1), aid=post.post_id))["stat"]
    after = _data(_get(demo_api, "/x/web-interface/view", aid=post.post_id))["stat"]
    assert all(after[k] >= before[k] for k in ("view", "danmaku", "reply", "favorite", "coin", "share", "like"))
    assert after["view"] > before["view"] and after["like"] > before["like"]


def test_followers_list_is_the_audience_sample(demo_api):
    kol = _world().kols("bilibili")[3]
    seen, pn = [], 1
    while True:
        data = _data(_get(demo_api, "/x/relation/fans", vmid=kol.account_id, pn=pn, ps=6))
        seen += data["list"]
        if len(data["list"]) < 6:
            break
        pn += 1
    assert len(seen) == len({f["mid"] for f in seen}) > 6 and data["total"] > len(seen)
    for fan in seen:
        assert isinstance(fan["mid"], int) and isinstance(fan["mtime"], int) and fan["face"].startswith("http")
        assert {"follower", "following", "archive_count", "jointime"} <= fan.keys()
        assert "is_fake" not in fan and "kind" not in fan


def test_same_request_same_bytes(demo_api):
    kol = _world().kols("bilibili")[0]
    a = _get(demo_api, "/x/space/wbi/arc/search", mid=kol.account_id, ps=10, **WBI)
    b = _get(demo_api, "/x/space/wbi/arc/search", mid=kol.account_id, ps=10, **WBI)
    assert a.status_code == 200 and a.content == b.content


def test_export_files_are_byte_deterministic_and_look_like_the_dashboard():
    from ingestion.demo import bilibili_api
    from ingestion.demo.world import World

    first, second = bilibili_api.export_files(World(), DAY), bilibili_api.export_files(World(), DAY)
    name = f"bilibili_archives_{DAY}.csv"
    assert first == second and list(first) == [name] and first[name].startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(first[name].decode("utf-8-sig"))))
    assert rows[0][:4] == ["UP主UID", "UP主昵称", "稿件标题", "BV号"] and "播放" in rows[0] and "弹幕" in rows[0]
    accounts = {k.account_id for k in World().kols("bilibili")}
    assert len(rows) > 20 and {r[0] for r in rows[1:]} <= accounts
    assert all(BVID.match(r[3]) and bilibili_api.bv2av(r[3]) == int(r[4]) and LENGTH.match(r[6]) for r in rows[1:])
    published = [datetime.strptime(r[5], "%Y-%m-%d %H:%M:%S") for r in rows[1:]]
    assert all(datetime(2026, 11, 14, 8) <= t < datetime(2026, 11, 21, 8) for t in published)
