"""All nine demo platforms at once: each fault mode fires on each platform in that
platform's words, and no answer ever carries the world's answer key."""
from __future__ import annotations

import json
from contextlib import contextmanager

import pytest
import requests

from ingestion.demo.world import PLATFORMS, default_world
from tests.conftest import TOKENS

DAY = "2026-11-20"


def _kol(platform: str):
    # The biggest ordinary account: every list it has is non-empty.
    return max((k for k in default_world().kols(platform) if k.role is None), key=lambda k: k.start_followers)


def list_request(platform: str) -> dict:
    """One first page of a KOL's posts, as each platform's client would ask for it."""
    kol, t = _kol(platform), TOKENS[platform]
    uid = kol.account_id
    return {
        "weibo": dict(method="GET", path="/2/statuses/user_timeline.json",
                      params={"uid": uid, "count": 5}, headers={"Authorization": f"OAuth2 {t}"}),
        "douyin": dict(method="GET", path="/api/douyin/v1/video/video_list/",
                       params={"open_id": uid, "count": 5}, headers={"access-token": t}),
        "xiaohongshu": dict(method="GET", path="/api/sns/web/v1/user_posted", params={"user_id": uid, "num": 5},
                            headers={"Cookie": f"web_session={t}", "x-s": "XYW_demo", "x-t": "1"}),
        "bilibili": dict(method="GET", path="/x/space/wbi/arc/search",
                         params={"mid": uid, "pn": 1, "ps": 5, "w_rid": "0" * 32, "wts": "1764000000"},
                         headers={"Cookie": f"SESSDATA={t}"}),
        "wechat": dict(method="POST", path="/datacube/getarticlesummary",
                       params={"access_token": t, "account_id": uid}, json={"begin_date": DAY, "end_date": DAY}),
        "instagram": dict(method="GET", path=f"/v21.0/{uid}/media", params={"fields": "id,timestamp,like_count",
                                                                            "limit": 5},
                          headers={"Authorization": f"Bearer {t}"}),
        "tiktok": dict(method="POST", path="/v2/video/list/",
                       params={"fields": "id,create_time,like_count", "open_id": uid},
                       headers={"Authorization": f"Bearer {t}"}, json={"max_count": 5}),
        "youtube": dict(method="GET", path="/youtube/v3/playlistItems",
                        params={"part": "snippet,contentDetails", "playlistId": "UU" + uid[2:], "maxResults": 5,
                                "key": t}),
        "x": dict(method="GET", path=f"/2/users/{uid}/tweets",
                  params={"max_results": 5, "tweet.fields": "created_at,public_metrics"},
                  headers={"Authorization": f"Bearer {t}"}),
    }[platform]


def call(server, platform: str, timeout: float = 10) -> requests.Response:
    req = list_request(platform)
    return requests.request(req["method"], server.base_url(platform) + req["path"],
                            params={**req["params"], "export_date": DAY}, headers=req.get("headers"),
                            json=req.get("json"), timeout=timeout)


@contextmanager
def faulty(spec: str, seed: int = 0):
    from ingestion.demo.faults import FaultConfig
    from ingestion.demo.server import DemoExportServer

    with DemoExportServer(tokens=TOKENS, faults=FaultConfig.parse(spec, seed=seed)) as server:
        yield server


@pytest.mark.parametrize("platform", PLATFORMS)
def test_every_platform_answers_its_first_page_with_items(demo_api, platform):
    from ingestion.demo.faults import DIALECTS, FaultInjector

    resp = call(demo_api, platform)
    assert resp.status_code == 200, resp.text[:300]
    items = FaultInjector._items(resp.json(), DIALECTS[platform])
    assert items, f"{platform}: the first page lists the KOL's posts"
    assert all(DIALECTS[platform].item_time(i) is not None for i in items)


TERMINAL = ["http_429", "throttle_in_200", "server_error", "expired_token"]


@pytest.mark.parametrize("platform", PLATFORMS)
def test_each_fault_mode_fires_on_each_platform_in_its_own_words(demo_api, platform):
    from ingestion.demo.faults import DIALECTS, FaultInjector

    dialect = DIALECTS[platform]
    clean = call(demo_api, platform)
    for mode in TERMINAL + (["quota_exceeded"] if dialect.quota else []):
        with faulty(f"{platform}:{mode}=1,retry_after=0") as api:
            resp = call(api, platform)
            assert api.faults_injected == {platform: {mode: 1}}, mode
            assert resp.content != clean.content
            if mode == "http_429":
                assert resp.status_code == 429 and resp.headers["Retry-After"] == "0"
            if mode == "throttle_in_200":
                assert resp.status_code == 200 and not FaultInjector._items(resp.json(), dialect)
            if mode == "quota_exceeded":
                assert resp.status_code == dialect.quota[0]
                assert any(str(part) in resp.text for part in dialect.quota[1:3])  # its code or its words
    with faulty(f"{platform}:truncated=1") as api:
        with pytest.raises(ValueError):
            json.loads(call(api, platform).content)
    with faulty(f"{platform}:timeout=1,delay=0.3") as api:
        with pytest.raises(requests.ConnectionError):
            call(api, platform, timeout=5)
    with faulty(f"{platform}:duplicate_items=1") as api:
        items = FaultInjector._items(call(api, platform).json(), dialect)
        assert len(items) == len(FaultInjector._items(clean.json(), dialect)) + 1
    with faulty(f"{platform}:schema_drift=1,drift=new_field") as api:
        items = FaultInjector._items(call(api, platform).json(), dialect)
        assert all(dialect.new_field[0] in i for i in items)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_late_rows_miss_their_day_and_arrive_the_next(demo_api, platform):
    from ingestion.demo.faults import DIALECTS, FaultInjector

    dialect = DIALECTS[platform]
    clean = FaultInjector._items(call(demo_api, platform).json(), dialect)
    with faulty(f"{platform}:late_rows=1") as api:
        late = FaultInjector._items(call(api, platform).json(), dialect) or []
        held = api.faults_injected.get(platform, {}).get("late_rows", 0)
    todays = [i for i in clean if dialect.item_time(i).date().isoformat() == DAY]
    if dialect.page_numbered:  # the platform leaves them out before paging: the page stays full
        assert held >= len(todays) > 0 and len(late) == len(clean)
    else:
        assert held == len(todays) and len(late) == len(clean) - len(todays)
    assert all(dialect.item_time(i).date().isoformat() != DAY for i in late)


LEAKS = ("bought_followers", "viral_post", "engagement_pod", "bot_comments", "niche_expert", "nonchalant_mega",
         "mass_follow_back", "is_fake", "is_viral", "credibility", "ground_truth")


@pytest.mark.parametrize("platform", PLATFORMS)
def test_no_answer_carries_the_answer_key(demo_api, platform):
    for kol in default_world().kols(platform):
        req = list_request(platform)
        req["params"] = {k: (kol.account_id if v == _kol(platform).account_id else v) for k, v in req["params"].items()}
        body = requests.request(req["method"], demo_api.base_url(platform) + req["path"].replace(
            _kol(platform).account_id, kol.account_id).replace("UU" + _kol(platform).account_id[2:],
                                                                 "UU" + kol.account_id[2:]),
            params={**req["params"], "export_date": DAY}, headers=req.get("headers"), json=req.get("json"),
            timeout=10).text
        assert not [leak for leak in LEAKS if leak in body]
