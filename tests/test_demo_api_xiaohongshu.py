"""The demo Xiaohongshu (RED) web API over real HTTP: signed cookie requests, display-string
counts, cursor paging by the last id, and errors in HTTP 200 bodies."""
import csv
import io
import re
from datetime import date, datetime, timedelta

import requests

from tests.conftest import TOKENS

DAY = date(2026, 11, 20)
EARLY = date(2025, 1, 12)
SIGNED = {"x-s": "XYW_eyJzaWduU3ZuIjoiNTYifQ==", "x-t": "1795219199999"}
COOKIE = {"Cookie": f"a1=19a8b3c; webId=5f2e; web_session={TOKENS['xiaohongshu']}"}
DISPLAY = re.compile(r"^(未知|10万\+|\d+(\.\d)?万|\d{1,3}(,\d{3})+|\d+(\.\d)?k|\d+)$")
HEX24 = re.compile(r"^[0-9a-f]{24}$")


def _world():
    from ingestion.demo.world import default_world

    return default_world()


def _url(api, path):
    return f"{api.base_url('xiaohongshu')}{path}"


def _get(api, path, headers=None, day=DAY, **params):
    return requests.get(_url(api, path), headers={**SIGNED, **COOKIE} if headers is None else headers,
                        params={"export_date": day.isoformat(), **params}, timeout=10)


def _data(resp):
    body = resp.json()
    assert resp.status_code == 200 and body["code"] == 0 and body["success"] is True and body["msg"] == "成功", body
    return body["data"]


def _count(text):
    """A display count as a number; None where it says nothing exact."""
    if text in ("未知", "10万+"):
        return None
    if text.endswith("万"):
        return float(text[:-1]) * 10_000
    if text.endswith("k"):
        return float(text[:-1]) * 1_000
    return int(text.replace(",", ""))


def _with_kol_reply(day):
    from ingestion.demo.api_common import end_of

    world = _world()
    for kol in world.kols("xiaohongshu"):
        for post in world.posts_created_on(kol, day - timedelta(days=1)):
            if any(c.author is None for c in world.comments_on(post, end_of(day))):
                return kol, post
    raise AssertionError("no creator reply in the demo world")


def test_user_posted_speaks_red(demo_api):
    kol = _world().kols("xiaohongshu")[6]
    data = _data(_get(demo_api, "/api/sns/web/v1/user_posted", user_id=kol.account_id, num=5))
    assert len(data["notes"]) == 5 and data["has_more"] is True and data["cursor"] == data["notes"][-1]["note_id"]
    for note in data["notes"]:
        assert HEX24.match(note["note_id"]) and note["type"] in ("normal", "video")
        assert isinstance(note["time"], int) and len(str(note["time"])) == 13  # epoch milliseconds
        assert note["user"]["user_id"] == kol.account_id and note["ip_location"]
        counts = note["interact_info"]
        for key in ("liked_count", "collected_count", "comment_count", "share_count"):
            assert isinstance(counts[key], str) and DISPLAY.match(counts[key]), counts[key]
    times = [n["time"] for n in data["notes"]]
    assert times == sorted(times, reverse=True)


def test_counts_come_in_every_display_style():
    from ingestion.demo.xiaohongshu_api import display_count

    salted = [display_count(n, "note", i) for i in range(200) for n in (512, 3_456, 12_345, 250_000)]
    assert "未知" in salted and "10万+" in salted and "1.2万" in salted
    assert "3,456" in salted and "3.5k" in salted and "3456" in salted and "512" in salted
    # A counter keeps its style: the same note and field say it the same way every day.
    assert display_count(3_456, "n1", "liked") == display_count(3_456, "n1", "liked")


def test_counts_over_http_use_the_display_styles(demo_api):
    texts = []
    for kol in _world().kols("xiaohongshu"):
        for note in _data(_get(demo_api, "/api/sns/web/v1/user_posted", user_id=kol.account_id, num=30))["notes"]:
            texts += note["interact_info"].values()
    texts = [t for t in texts if isinstance(t, str)]
    assert all(DISPLAY.match(t) for t in texts)
    assert "未知" in texts and any("," in t for t in texts) and any(t.endswith("k") for t in texts)
    fans = _data(_get(demo_api, "/api/sns/web/v1/user/otherinfo",
                      target_user_id=_world().kols("xiaohongshu")[6].account_id))["interactions"]
    assert any(i["type"] == "fans" and i["count"].endswith("万") for i in fans)


def test_user_posted_walks_the_whole_history_by_last_id(demo_api):
    from ingestion.demo.world import WORLD_EPOCH

    kol = _world().kols("xiaohongshu")[1]
    expected = [p.post_id for p in reversed(_world().posts_between(kol, WORLD_EPOCH, EARLY))]
    seen, cursor, pages = [], "", 0
    while True:
        data = _data(_get(demo_api, "/api/sns/web/v1/user_posted", day=EARLY, user_id=kol.account_id,
                          num=4, cursor=cursor))
        seen += [n["note_id"] for n in data["notes"]]
        pages += 1
        if not data["has_more"]:
            break
        cursor = data["cursor"]
    assert len(expected) > 8 and seen == expected and pages == -(-len(expected) // 4)


def test_signature_and_login_errors(demo_api):
    kol = _world().kols("xiaohongshu")[0]
    path = "/api/sns/web/v1/user/otherinfo"
    unsigned = _get(demo_api, path, headers=COOKIE, target_user_id=kol.account_id)
    assert unsigned.status_code == 406 and unsigned.json()["code"] == 300015 and unsigned.json()["success"] is False
    for headers, code in ((SIGNED, -101), ({**SIGNED, "Cookie": "web_session=stale"}, -100)):
        resp = _get(demo_api, path, headers=headers, target_user_id=kol.account_id)
        assert resp.status_code == 200 and resp.json()["code"] == code and resp.json()["success"] is False
        assert TOKENS["xiaohongshu"] not in resp.text
    missing = _get(demo_api, "/api/sns/web/v2/comment/page", note_id="6aff409000000000deadbeef")
    assert missing.status_code == 200 and missing.json()["code"] == -510000


def test_feed_returns_the_note_card_the_list_summarised(demo_api):
    kol = _world().kols("xiaohongshu")[5]
    note = _data(_get(demo_api, "/api/sns/web/v1/user_posted", user_id=kol.account_id, num=1))["notes"][0]
    resp = requests.post(_url(demo_api, "/api/sns/web/v1/feed"), headers={**SIGNED, **COOKIE},
                         params={"export_date": DAY.isoformat()},
                         json={"source_note_id": note["note_id"], "image_formats": ["jpg", "webp"],
                               "xsec_token": note["xsec_token"], "xsec_source": "pc_user"}, timeout=10)
    item = _data(resp)["items"][0]
    card = item["note_card"]
    assert item["id"] == card["note_id"] == note["note_id"] and item["model_type"] == "note"
    assert card["time"] == note["time"] and isinstance(card["desc"], str) and card["tag_list"]
    assert all(card["interact_info"][k] == v for k, v in note["interact_info"].items())
    wrong_method = _get(demo_api, "/api/sns/web/v1/feed", source_note_id=note["note_id"])
    assert wrong_method.status_code == 405


def test_comments_page_by_last_id_and_creator_replies_are_sub_comments(demo_api):
    kol, post = _with_kol_reply(DAY)
    seen, cursor = [], ""
    while True:
        data = _data(_get(demo_api, "/api/sns/web/v2/comment/page", note_id=post.post_id, cursor=cursor, num=4))
        seen += data["comments"]
        if not data["has_more"]:
            break
        cursor = data["cursor"]
    ids = [c["id"] for c in seen]
    assert len(ids) == len(set(ids)) > 4 and all(HEX24.match(i) for i in ids)
    assert all(isinstance(c["create_time"], int) and isinstance(c["like_count"], str) for c in seen)
    answered = [c for c in seen if int(c["sub_comment_count"]) > 0]
    assert answered
    sub = answered[0]["sub_comments"][0]
    assert sub["show_tags"] == ["is_author"] and sub["user_info"]["user_id"] == kol.account_id
    assert sub["target_comment"]["id"] == answered[0]["id"] and sub["create_time"] >= answered[0]["create_time"]
    page = _data(_get(demo_api, "/api/sns/web/v2/comment/sub/page", note_id=post.post_id,
                      root_comment_id=answered[0]["id"], num=10))
    assert [c["id"] for c in page["comments"]] == [c["id"] for c in answered[0]["sub_comments"]]


def test_counters_grow_day_over_day(demo_api):
    kol, post = _with_kol_reply(DAY)

    def counts(day):
        notes = _data(_get(demo_api, "/api/sns/web/v1/user_posted", day=day, user_id=kol.account_id, num=30))["notes"]
        return next(n["interact_info"] for n in notes if n["note_id"] == post.post_id)

    before, after = counts(DAY - timedelta(days=1)), counts(DAY)
    pairs = [(_count(before[k]), _count(after[k])) for k in ("liked_count", "collected_count", "comment_count",
                                                             "share_count")]
    pairs = [(a, b) for a, b in pairs if a is not None and b is not None]
    assert pairs and all(b >= a for a, b in pairs) and any(b > a for a, b in pairs)


def test_audience_sample_pages_and_serves_no_ground_truth(demo_api):
    kol = _world().kols("xiaohongshu")[3]
    seen, cursor = [], ""
    while True:
        data = _data(_get(demo_api, "/api/sns/web/v1/user/audience_sample", user_id=kol.account_id, num=6,
                          cursor=cursor))
        seen += data["users"]
        if not data["has_more"]:
            break
        cursor = data["cursor"]
    assert len(seen) == len({u["user_id"] for u in seen}) > 6
    for user in seen:
        assert DISPLAY.match(user["fans"]) and DISPLAY.match(user["follows"]) and isinstance(user["create_time"], int)
        assert "is_fake" not in user and "kind" not in user


def test_same_request_same_bytes(demo_api):
    kol = _world().kols("xiaohongshu")[0]
    a = _get(demo_api, "/api/sns/web/v1/user_posted", user_id=kol.account_id, num=10)
    b = _get(demo_api, "/api/sns/web/v1/user_posted", user_id=kol.account_id, num=10)
    assert a.status_code == 200 and a.content == b.content


def test_export_files_are_byte_deterministic_and_look_like_the_dashboard():
    from ingestion.demo import xiaohongshu_api
    from ingestion.demo.world import World

    first, second = xiaohongshu_api.export_files(World(), DAY), xiaohongshu_api.export_files(World(), DAY)
    name = f"xiaohongshu_notes_{DAY}.csv"
    assert first == second and list(first) == [name] and first[name].startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(first[name].decode("utf-8-sig"))))
    assert rows[0][:4] == ["账号ID", "小红书昵称", "笔记ID", "笔记标题"] and "点赞" in rows[0] and "收藏" in rows[0]
    accounts = {k.account_id for k in World().kols("xiaohongshu")}
    assert len(rows) > 20 and {r[0] for r in rows[1:]} <= accounts and all(HEX24.match(r[2]) for r in rows[1:])
    assert {r[5] for r in rows[1:]} <= {"图文", "视频"}
    # Exact counts in the export, unlike the web pages' display strings.
    assert all(r[i].isdigit() for r in rows[1:] for i in range(6, 11))
    published = [datetime.strptime(r[4], "%Y-%m-%d %H:%M:%S") for r in rows[1:]]
    assert all(datetime(2026, 11, 14, 8) <= t < datetime(2026, 11, 21, 8) for t in published)
