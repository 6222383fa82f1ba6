"""The demo export API over real HTTP on loopback, in each platform's native shape."""
import re

import requests

from tests.conftest import TOKENS

WEIBO_TIME = re.compile(r"^[A-Z][a-z]{2} [A-Z][a-z]{2} \d{2} \d{2}:\d{2}:\d{2} \+0800 \d{4}$")
GRAPH_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+0000$")
DAY = "2026-11-20"


def _weibo(api, path, **params):
    return requests.get(f"{api.base_url('weibo')}{path}", params={"access_token": TOKENS["weibo"],
                                                                  "export_date": DAY, **params}, timeout=10)


def _uid(api):
    from ingestion.demo.world import default_world

    return default_world().kols("weibo")[0].account_id


def test_weibo_timeline_speaks_weibo_and_pages_by_inclusive_max_id(demo_api):
    first = _weibo(demo_api, "/2/statuses/user_timeline.json", uid=_uid(demo_api), count=5).json()
    statuses = first["statuses"]
    assert len(statuses) == 5
    s = statuses[0]
    assert WEIBO_TIME.match(s["created_at"]) and isinstance(s["id"], int) and s["idstr"] == str(s["id"])
    assert {"attitudes_count", "reposts_count", "comments_count", "user"} <= s.keys()
    assert [x["id"] for x in statuses] == sorted((x["id"] for x in statuses), reverse=True)
    second = _weibo(demo_api, "/2/statuses/user_timeline.json", uid=_uid(demo_api), count=5,
                    max_id=first["next_cursor"]).json()["statuses"]
    # max_id is inclusive: the next page starts exactly at next_cursor, after the first page.
    assert second[0]["id"] == first["next_cursor"] < statuses[-1]["id"]


def test_weibo_rejects_a_bad_token_in_its_own_envelope(demo_api):
    resp = requests.get(f"{demo_api.base_url('weibo')}/2/users/show.json",
                        params={"access_token": "nope", "uid": _uid(demo_api)}, timeout=10)
    assert resp.status_code == 400
    assert resp.json()["error_code"] == "21332" and resp.json()["request"] == "/2/users/show.json"


def test_instagram_media_pages_with_cursors_and_no_next_on_the_last_page(demo_api):
    from ingestion.demo.world import default_world

    uid = default_world().kols("instagram")[0].account_id
    headers = {"Authorization": f"Bearer {TOKENS['instagram']}"}
    media = requests.get(f"{demo_api.base_url('instagram')}/v21.0/{uid}/media", headers=headers,
                         params={"fields": "id,timestamp,like_count", "limit": 3, "export_date": DAY}, timeout=10).json()
    assert len(media["data"]) == 3 and set(media["data"][0]) == {"id", "timestamp", "like_count"}
    assert GRAPH_TIME.match(media["data"][0]["timestamp"]) and isinstance(media["data"][0]["id"], str)
    assert "next" in media["paging"] and "access_token" not in media["paging"]["next"]
    # Walk one media's comments 5 at a time: the pages add up to the whole list, in order,
    # and the last page has a cursor but no next.
    url = f"{demo_api.base_url('instagram')}/v21.0/{media['data'][1]['id']}/comments"
    whole = requests.get(url, headers=headers, params={"limit": 100, "export_date": DAY}, timeout=10).json()["data"]
    params, paged, pages = {"limit": 5, "export_date": DAY}, [], 0
    while True:
        body = requests.get(url, headers=headers, params=params, timeout=10).json()
        paged += body["data"]
        pages += 1
        if "next" not in body.get("paging", {}):
            assert "after" in body["paging"]["cursors"]
            break
        params["after"] = body["paging"]["cursors"]["after"]
    assert len(whole) > 5 and pages == -(-len(whole) // 5)
    assert [c["id"] for c in paged] == [c["id"] for c in whole]


def test_instagram_expired_token_is_oauth_exception_190(demo_api):
    from ingestion.demo.world import default_world

    uid = default_world().kols("instagram")[0].account_id
    resp = requests.get(f"{demo_api.base_url('instagram')}/v21.0/{uid}", headers={"Authorization": "Bearer old"},
                        params={"fields": "id"}, timeout=10)
    err = resp.json()["error"]
    assert resp.status_code == 400 and err["type"] == "OAuthException" and err["code"] == 190


def test_a_day_that_is_not_over_cannot_be_exported(demo_api):
    from datetime import datetime, timezone

    today = datetime.now(timezone.utc).date().isoformat()
    resp = _weibo(demo_api, "/2/users/show.json", uid=_uid(demo_api), export_date=today)
    assert resp.status_code == 400 and "not a finished day" in resp.json()["error"]


def _ig(api, path, **params):
    from ingestion.demo.world import default_world

    uid = max((k for k in default_world().kols("instagram") if k.role is None), key=lambda k: k.start_followers).account_id
    return requests.get(f"{api.base_url('instagram')}/v21.0/{path.format(uid=uid)}", timeout=10,
                        headers={"Authorization": f"Bearer {TOKENS['instagram']}"}, params={"export_date": DAY, **params})


def test_instagram_paging_next_links_can_be_followed_and_nodes_read_alone(demo_api):
    first = _ig(demo_api, "{uid}/media", fields="id,like_count,timestamp", limit=2)
    assert "X-App-Usage" in first.headers and "X-Business-Use-Case-Usage" in first.headers
    body = first.json()
    followed = requests.get(body["paging"]["next"], headers={"Authorization": f"Bearer {TOKENS['instagram']}"},
                            timeout=10).json()
    by_cursor = _ig(demo_api, "{uid}/media", fields="id,like_count,timestamp", limit=2,
                    after=body["paging"]["cursors"]["after"]).json()
    assert followed["data"] == by_cursor["data"] and followed["data"][0]["id"] != body["data"][0]["id"]
    media = body["data"][0]
    assert _ig(demo_api, media["id"], fields="id,like_count").json() == {"id": media["id"],
                                                                          "like_count": media["like_count"]}
    insights = _ig(demo_api, f"{media['id']}/insights", metric="likes,impressions,reach").json()["data"]
    values = {i["name"]: i["values"][0]["value"] for i in insights}
    assert values["likes"] == media["like_count"] and values["impressions"] >= values["reach"] > 0
    daily = _ig(demo_api, "{uid}/insights", metric="follower_count", period="day").json()["data"][0]
    assert daily["period"] == "day" and daily["values"][0]["end_time"] == "2026-11-21T00:00:00+0000"
    assert _ig(demo_api, f"{media['id']}/insights", metric="mood").json()["error"]["code"] == 100
    # a cursor pointing before the start is refused, not served as an empty page
    import base64
    bad = base64.urlsafe_b64encode(b"offset:-3").decode().rstrip("=")
    assert _ig(demo_api, "{uid}/media", fields="id", after=bad).status_code == 400


def test_weibo_pages_by_max_id_since_id_and_page_numbers_alike(demo_api):
    path = "/2/statuses/user_timeline.json"
    uid = _uid(demo_api)
    ids = [s["id"] for s in _weibo(demo_api, path, uid=uid, count=10).json()["statuses"]]
    assert [s["id"] for s in _weibo(demo_api, path, uid=uid, count=5, page=2).json()["statuses"]] == ids[5:10]
    assert [s["id"] for s in _weibo(demo_api, path, uid=uid, count=50, since_id=ids[4]).json()["statuses"]] == ids[:4]


def test_the_server_answers_bad_requests_instead_of_dropping_them(demo_api):
    import socket

    host, port = demo_api.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(b"POST /wechat/datacube/getarticlesummary HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n")
        assert sock.recv(100).startswith(b"HTTP/1.1 400")
    resp = requests.post(f"{demo_api.base_url('tiktok')}/v2/video/query/", json={"filters": -1}, timeout=10,
                         params={"fields": "id", "open_id": "x", "export_date": DAY},
                         headers={"Authorization": f"Bearer {TOKENS['tiktok']}"})
    assert resp.status_code in (400, 401) and resp.json()["error"]["code"] != "ok"
