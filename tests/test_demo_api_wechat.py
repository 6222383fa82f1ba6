"""The demo WeChat Official Account API over real HTTP: datacube windows, errors in
HTTP 200 bodies, comments with the account's reply nested, the follower list."""
from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta

import pytest
import requests

from tests.conftest import TOKENS

DAY = date(2026, 11, 20)
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MSGID = re.compile(r"^\d+_[1-9]\d*$")
RID = re.compile(r" rid: [0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$")
STATS = ("int_page_read_user", "int_page_read_count", "ori_page_read_user", "ori_page_read_count",
         "share_user", "share_count", "add_to_fav_user", "add_to_fav_count")


def _world():
    from ingestion.demo.world import default_world

    return default_world()


def _biggest():
    return max(_world().kols("wechat"), key=lambda k: k.start_followers)


def _post(api, path, body, account=None, export_date=DAY, token=None, **params) -> requests.Response:
    params = {"access_token": token or TOKENS["wechat"], "account_id": account or _biggest().account_id,
              "export_date": export_date.isoformat(), **params}
    kwargs = {"data": body} if isinstance(body, (str, bytes)) else {"json": body}
    return requests.post(f"{api.base_url('wechat')}{path}", params=params, timeout=10, **kwargs)


def _window(day: date, last: date | None = None) -> dict:
    return {"begin_date": day.isoformat(), "end_date": (last or day).isoformat()}


def _pushed(kol, first: date, last: date):
    return _world().posts_between(kol, first, last)


def test_article_summary_is_that_days_reads_of_each_article_in_wechats_fields(demo_api):
    kol = _biggest()
    rows = _post(demo_api, "/datacube/getarticlesummary", _window(DAY), kol.account_id).json()["list"]
    assert rows, "the biggest account has articles read on the day"
    for row in rows:
        assert set(row) == {"ref_date", "msgid", "title", *STATS}
        assert row["ref_date"] == DAY.isoformat() and MSGID.match(row["msgid"]) and isinstance(row["title"], str)
        assert all(isinstance(row[s], int) and row[s] >= 0 for s in STATS)
        assert row["int_page_read_user"] <= row["int_page_read_count"] and row["share_user"] <= row["share_count"]
        assert row["int_page_read_count"] + row["share_count"] + row["add_to_fav_count"] >= 3
    # Articles of the last 7 days are read on the day; older ones are no longer counted.
    recent = {p.post_id for p in _pushed(kol, DAY - timedelta(days=6), DAY)}
    assert {r["msgid"] for r in rows} <= recent
    assert not {p.post_id for p in _pushed(kol, DAY - timedelta(days=30), DAY - timedelta(days=7))} & {
        r["msgid"] for r in rows}


def test_articles_with_fewer_than_3_reads_shares_and_favourites_are_left_out(demo_api):
    from ingestion.demo.api_common import end_of

    world = _world()
    # Find an article whose day added fewer than 3 reads + shares + favourites; the export drops it.
    for kol in sorted(world.kols("wechat"), key=lambda k: k.start_followers):
        for back in range(7):
            ref = DAY - timedelta(days=back)
            for post in world.posts_between(kol, ref - timedelta(days=6), ref):
                now, before = world.counters(post, end_of(ref)), world.counters(post, end_of(ref - timedelta(days=1)))
                gained = (now.views - before.views) + (now.shares - before.shares) + (now.saves - before.saves)
                if gained < 3:
                    rows = _post(demo_api, "/datacube/getarticlesummary", _window(ref), kol.account_id,
                                 export_date=DAY).json()["list"]
                    assert post.post_id not in {r["msgid"] for r in rows}
                    kept = [p for p in world.posts_between(kol, ref - timedelta(days=6), ref) if p != post]
                    assert len(rows) <= len(kept)
                    return
    pytest.fail("the world has no article with a quiet day; the omission rule is untested")


def test_daily_reads_add_up_to_the_cumulative_totals_and_grow_day_by_day(demo_api):
    kol = _biggest()
    pushed = next(d for d in (DAY - timedelta(days=i) for i in range(6, 14)) if _world().posts_created_on(kol, d))
    last = pushed + timedelta(days=6)
    total = _post(demo_api, "/datacube/getarticletotal", _window(pushed), kol.account_id,
                  export_date=last).json()["list"]
    assert total and all(MSGID.match(a["msgid"]) for a in total)
    article = total[0]
    details = article["details"]
    assert [d["stat_date"] for d in details] == [(pushed + timedelta(days=i)).isoformat() for i in range(7)]
    reads = [d["int_page_read_count"] for d in details]
    assert reads == sorted(reads) and reads[0] < reads[-1]
    # The per-day summary gives the day's increments: over the week they add up to the total
    # (less whatever the fewer-than-3 rule left out on quiet days).
    daily = 0
    for i in range(7):
        rows = _post(demo_api, "/datacube/getarticlesummary", _window(pushed + timedelta(days=i)), kol.account_id,
                     export_date=last).json()["list"]
        daily += sum(r["int_page_read_count"] for r in rows if r["msgid"] == article["msgid"])
    assert reads[-1] - 2 * 7 <= daily <= reads[-1]
    # As of an earlier export day the details stop there, with the same numbers.
    earlier = _post(demo_api, "/datacube/getarticletotal", _window(pushed), kol.account_id,
                    export_date=pushed + timedelta(days=2)).json()["list"][0]["details"]
    assert earlier == details[:3]


def test_datacube_windows_are_checked_like_wechat_does_with_errors_in_http_200(demo_api):
    def err(path, body, **kw):
        resp = _post(demo_api, path, body, **kw)
        assert resp.status_code == 200 and RID.search(resp.json()["errmsg"])
        return resp.json()["errcode"]

    assert err("/datacube/getarticlesummary", _window(DAY - timedelta(days=1), DAY)) == 61501  # at most 1 day
    assert err("/datacube/getarticlesummary", _window(DAY + timedelta(days=1))) == 61501  # after "yesterday"
    assert err("/datacube/getusercumulate", _window(DAY - timedelta(days=7), DAY)) == 61501  # 8 days
    assert err("/datacube/getusercumulate", _window(DAY, DAY - timedelta(days=1))) == 61501  # backwards
    assert err("/datacube/getusercumulate", {"begin_date": "2026/11/20", "end_date": "2026/11/20"}) == 61500
    assert err("/datacube/getarticlesummary", "{not json") == 47001
    assert err("/datacube/getarticlesummary", _window(DAY), account="gh_000000000000") == 40013
    resp = requests.get(f"{demo_api.base_url('wechat')}/datacube/getusercumulate",
                        params={"access_token": TOKENS["wechat"], "account_id": _biggest().account_id}, timeout=10)
    assert resp.status_code == 200 and resp.json()["errcode"] == 43002  # datacube takes POSTs


def test_tokens_are_checked_in_wechats_envelope(demo_api):
    url = f"{demo_api.base_url('wechat')}/datacube/getusercumulate"
    missing = requests.post(url, json=_window(DAY), params={"account_id": _biggest().account_id}, timeout=10)
    wrong = _post(demo_api, "/datacube/getusercumulate", _window(DAY), token="expired-or-wrong")
    assert missing.status_code == wrong.status_code == 200
    assert missing.json()["errcode"] == 41001 and wrong.json()["errcode"] == 40001
    assert set(wrong.json()) == {"errcode", "errmsg"} and RID.search(wrong.json()["errmsg"])
    assert TOKENS["wechat"] not in wrong.text


def test_follower_summary_explains_the_change_in_cumulative_followers(demo_api):
    kol = _biggest()
    week = _window(DAY - timedelta(days=6), DAY)
    cumulate = _post(demo_api, "/datacube/getusercumulate", week, kol.account_id).json()["list"]
    assert [r["ref_date"] for r in cumulate] == [(DAY - timedelta(days=6 - i)).isoformat() for i in range(7)]
    assert all(isinstance(r["cumulate_user"], int) and r["user_source"] == 0 for r in cumulate)
    summary = _post(demo_api, "/datacube/getusersummary", week, kol.account_id).json()["list"]
    assert all(DATE.match(r["ref_date"]) and isinstance(r["user_source"], int) for r in summary)
    assert len({r["user_source"] for r in summary}) > 1  # new followers arrive from several sources
    by_day = {r["ref_date"]: r["cumulate_user"] for r in cumulate}
    for ref in sorted(by_day)[1:]:
        net = sum(r["new_user"] - r["cancel_user"] for r in summary if r["ref_date"] == ref)
        before = (date.fromisoformat(ref) - timedelta(days=1)).isoformat()
        assert net == by_day[ref] - by_day[before]


def _article_with_comments(min_comments: int = 12):
    from ingestion.demo.api_common import end_of

    world = _world()
    kol = _biggest()
    for d in (DAY - timedelta(days=i) for i in range(1, 20)):
        for post in world.posts_created_on(kol, d):
            if len(world.comments_on(post, end_of(DAY))) >= min_comments:
                return kol, post
    pytest.fail("no commented article")


def test_comments_page_by_begin_and_count_with_the_accounts_reply_nested(demo_api):
    kol, post = _article_with_comments()
    msg_data_id, n = post.post_id.split("_")
    ask = {"msg_data_id": int(msg_data_id), "index": int(n) - 1, "type": 0}  # index counts from 0, msgid from 1
    first = _post(demo_api, "/cgi-bin/comment/list", {**ask, "begin": 0, "count": 50}, kol.account_id).json()
    assert first["errcode"] == 0 and first["total"] >= 12
    whole, begin = [], 0
    while begin < first["total"]:
        page = _post(demo_api, "/cgi-bin/comment/list", {**ask, "begin": begin, "count": 7}, kol.account_id).json()
        assert page["total"] == first["total"] and 0 < len(page["comment"]) <= 7
        whole += page["comment"]
        begin += len(page["comment"])
    assert whole[:50] == first["comment"]
    assert [c["user_comment_id"] for c in whole] == sorted({c["user_comment_id"] for c in whole})
    for c in whole:
        assert isinstance(c["create_time"], int) and isinstance(c["openid"], str) and c["comment_type"] in (0, 1)
        if "reply" in c:
            assert set(c["reply"]) == {"content", "create_time"} and c["reply"]["create_time"] >= c["create_time"]
    assert any("reply" in c for c in whole)
    # Elected (2) and normal (1) comments split the whole list.
    split = [_post(demo_api, "/cgi-bin/comment/list", {**ask, "begin": 0, "count": 50, "type": t},
                   kol.account_id).json()["total"] for t in (1, 2)]
    assert sum(split) == first["total"] and all(split)
    # msgid's own number as the index is the next article, or none at all.
    beyond = _post(demo_api, "/cgi-bin/comment/list", {**ask, "index": 98, "begin": 0, "count": 5}, kol.account_id)
    assert beyond.json()["errcode"] == 88001
    assert _post(demo_api, "/cgi-bin/comment/list", {**ask, "begin": 0, "count": 51},
                 kol.account_id).json()["errcode"] == 88010


def test_comments_grow_with_the_export_day(demo_api):
    kol, post = _article_with_comments()
    msg_data_id, n = post.post_id.split("_")
    ask = {"msg_data_id": int(msg_data_id), "index": int(n) - 1, "begin": 0, "count": 50}
    day = post.created_at.date()
    totals = [_post(demo_api, "/cgi-bin/comment/list", ask, kol.account_id, export_date=day + timedelta(days=i)
                    ).json()["total"] for i in range(3)]
    assert totals == sorted(totals) and totals[0] < totals[-1]
    before = _post(demo_api, "/cgi-bin/comment/list", ask, kol.account_id, export_date=day - timedelta(days=1))
    assert before.json()["errcode"] == 88001  # not pushed yet


def test_follower_list_pages_by_next_openid_and_batchget_profiles_them(demo_api):
    from ingestion.demo.api_common import end_of

    kol = _biggest()
    url = f"{demo_api.base_url('wechat')}/cgi-bin/user/get"
    params = {"access_token": TOKENS["wechat"], "account_id": kol.account_id, "export_date": DAY.isoformat()}
    first = requests.get(url, params=params, timeout=10).json()
    openids = first["data"]["openid"]
    assert first["count"] == len(openids) > 0 and first["total"] >= first["count"]
    assert first["next_openid"] == openids[-1]  # the last page still names its last openid
    after = requests.get(url, params={**params, "next_openid": first["next_openid"]}, timeout=10).json()
    assert after["count"] == 0 and after["next_openid"] == "" and "data" not in after
    info = _post(demo_api, "/cgi-bin/user/info/batchget",
                 {"user_list": [{"openid": o, "lang": "zh_CN"} for o in openids]}, kol.account_id).json()
    users = info["user_info_list"]
    assert [u["openid"] for u in users] == openids
    for u in users:
        assert u["subscribe"] == 1 and isinstance(u["subscribe_time"], int)
        assert isinstance(u["follower_count"], int) and isinstance(u["headimgurl"], str)
        assert u["subscribe_time"] <= int(end_of(DAY).timestamp())
    assert "is_fake" not in users[0] and "kind" not in users[0]
    unknown = _post(demo_api, "/cgi-bin/user/info/batchget", {"user_list": [{"openid": "oNOBODY"}]}, kol.account_id)
    assert unknown.json()["errcode"] == 40003


def test_the_same_request_gives_the_same_bytes(demo_api):
    kol, post = _article_with_comments()
    for path, body in (("/datacube/getarticlesummary", _window(DAY)),
                       ("/datacube/getusersummary", _window(DAY - timedelta(days=6), DAY)),
                       ("/datacube/getarticlesummary", _window(DAY - timedelta(days=3), DAY))):
        a, b = (_post(demo_api, path, body, kol.account_id).content for _ in range(2))
        assert a == b


def test_throttles_and_the_daily_quota_arrive_in_http_200_bodies():
    from ingestion.demo.faults import FaultConfig
    from ingestion.demo.server import DemoExportServer

    for spec, code in (("wechat:throttle_in_200=1", 45011), ("wechat:quota_exceeded=1", 45009),
                       ("wechat:expired_token=1", 42001)):
        with DemoExportServer(tokens=TOKENS, faults=FaultConfig.parse(spec)) as server:
            resp = _post(server, "/datacube/getusercumulate", _window(DAY))
            assert resp.status_code == 200 and resp.json()["errcode"] == code


def test_export_files_are_byte_deterministic_with_the_dashboards_headers():
    from ingestion.demo.wechat_api import export_files
    from ingestion.demo.world import World

    a, b = export_files(World(), DAY), export_files(World(), DAY)
    assert a == b and list(a) == [f"wechat_articles_{DAY.isoformat()}.csv"]
    payload = next(iter(a.values()))
    assert payload.startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM, for Excel
    rows = list(csv.DictReader(io.StringIO(payload.decode("utf-8-sig"))))
    assert {"公众号原始ID", "公众号名称", "msgid", "内容标题", "阅读次数", "分享次数"} <= set(rows[0])
    world = World()
    expected = sum(len(world.posts_between(k, DAY - timedelta(days=6), DAY)) for k in world.kols("wechat"))
    assert len(rows) == expected and all(MSGID.match(r["msgid"]) for r in rows)
    later = export_files(World(), DAY + timedelta(days=1))
    assert later != a
