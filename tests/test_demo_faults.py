"""Faults on demand in the demo export API, over real HTTP on loopback.

Each test starts its own faulty server on port 0; the session's ``demo_api``
(no faults) gives the correct answer to compare with."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from tests.conftest import TOKENS

DAY = "2026-11-20"
ROOT = Path(__file__).resolve().parents[1]


@contextmanager
def faulty(spec: str, seed: int = 0):
    from ingestion.demo.faults import FaultConfig
    from ingestion.demo.server import DemoExportServer

    with DemoExportServer(tokens=TOKENS, faults=FaultConfig.parse(spec, seed=seed)) as server:
        yield server


def _uid(platform: str) -> str:
    from ingestion.demo.world import default_world

    # The biggest ordinary account: its counts are large enough to show as display strings.
    return max((k for k in default_world().kols(platform) if k.role is None),
               key=lambda k: k.start_followers).account_id


def weibo(server, path: str = "/2/users/show.json", timeout: float = 10, **params) -> requests.Response:
    params = {"access_token": TOKENS["weibo"], "export_date": DAY, "uid": _uid("weibo"), **params}
    return requests.get(f"{server.base_url('weibo')}{path}", params=params, timeout=timeout)


def instagram(server, node: str | None = None, edge: str = "", **params) -> requests.Response:
    path = f"/v21.0/{node or _uid('instagram')}" + (f"/{edge}" if edge else "")
    return requests.get(f"{server.base_url('instagram')}{path}", params={"export_date": DAY, **params},
                        headers={"Authorization": f"Bearer {TOKENS['instagram']}"}, timeout=10)


MEDIA_FIELDS = "id,caption,like_count,comments_count,permalink,timestamp"


# ---------------------------------------------------------------- each mode, in each platform's words

@pytest.mark.parametrize("retry_after", [0, 7200])
def test_http_429_carries_retry_after_and_the_platforms_throttle_body(retry_after):
    with faulty(f"weibo:http_429=1,retry_after={retry_after};instagram:http_429=1,retry_after={retry_after}") as api:
        wb, ig = weibo(api), instagram(api, fields="id")
        assert api.faults_injected == {"weibo": {"http_429": 1}, "instagram": {"http_429": 1}}
    assert wb.status_code == 429 and wb.headers["Retry-After"] == str(retry_after)
    assert wb.json() == {"request": "/2/users/show.json", "error_code": "10023",
                         "error": "User requests out of rate limit"}
    assert ig.status_code == 429 and ig.headers["Retry-After"] == str(retry_after)
    err = ig.json()["error"]
    assert err["type"] == "OAuthException" and err["code"] == 4 and err["fbtrace_id"]
    assert json.loads(ig.headers["X-App-Usage"])["call_count"] == 100


@pytest.mark.parametrize("spec, weibo_code, instagram_code", [
    ("weibo:throttle_in_200=1;instagram:throttle_in_200=1", "10023", 17),
    ("weibo:throttle_in_200=1,throttle_code=10022;instagram:throttle_in_200=1,throttle_code=4", "10022", 4),
])
def test_throttle_in_200_hides_the_platforms_throttle_code_in_a_success(spec, weibo_code, instagram_code):
    with faulty(spec) as api:
        wb, ig = weibo(api), instagram(api, fields="id")
    assert wb.status_code == 200 and wb.json()["error_code"] == weibo_code and "rate limit" in wb.json()["error"]
    assert "followers_count" not in wb.json()
    assert ig.status_code == 200 and ig.json()["error"]["code"] == instagram_code
    assert ig.json()["error"]["type"] == "OAuthException" and "id" not in ig.json()


def test_server_error_answers_500_in_the_platforms_envelope_and_502_503_from_the_gateway():
    with faulty("weibo:server_error=1;instagram:server_error=1") as api:
        answers = [weibo(api) for _ in range(30)] + [instagram(api, fields="id") for _ in range(30)]
        assert api.faults_injected == {"weibo": {"server_error": 30}, "instagram": {"server_error": 30}}
    assert {r.status_code for r in answers[:30]} == {500, 502, 503} == {r.status_code for r in answers[30:]}
    for r in answers:
        if r.status_code == 500:
            body = r.json()
            if "error_code" in body:
                assert body == {"request": "/2/users/show.json", "error_code": "10001", "error": "System error"}
            else:
                assert body["error"]["code"] == 2 and body["error"]["is_transient"] is True
        else:
            assert r.headers["Content-Type"].startswith("text/html") and f"<h1>{r.status_code} " in r.text


def test_server_error_comes_in_bursts_of_the_configured_length():
    def statuses(burst: int) -> list[int]:
        with faulty(f"weibo:server_error=0.08,burst={burst}", seed=11) as api:
            out = [weibo(api).status_code for _ in range(60)]
            assert api.faults_injected.get("weibo", {}).get("server_error", 0) == sum(s != 200 for s in out)
        return out

    single, bursty = statuses(1), statuses(4)
    runs = [len(m.group()) for m in re.finditer(r"x+", "".join("x" if s >= 500 else "." for s in bursty))]
    assert runs and all(n >= 4 for n in runs), runs
    # The same triggers, each followed by three more failures.
    assert sum(s >= 500 for s in bursty) > sum(s >= 500 for s in single) > 0
    first = next(i for i, s in enumerate(single) if s >= 500)
    assert all(s >= 500 for s in bursty[first:first + 4]) and all(s == 200 for s in bursty[:first])


def test_slow_answers_after_the_delay_so_client_timeouts_fire():
    with faulty("weibo:slow=1,delay=0.3") as api:
        with pytest.raises(requests.exceptions.ReadTimeout):
            weibo(api, timeout=0.1)
        started = time.monotonic()
        patient = weibo(api, timeout=5)
        assert time.monotonic() - started >= 0.3
        # Instagram has no faults configured: answered at once.
        started = time.monotonic()
        assert instagram(api, fields="id").status_code == 200 and time.monotonic() - started < 0.3
        assert api.faults_injected == {"weibo": {"slow": 2}}
    assert patient.status_code == 200 and patient.json()["idstr"] == _uid("weibo")


def test_truncated_body_is_a_consistent_prefix_that_is_not_json(demo_api):
    clean = weibo(demo_api, "/2/statuses/user_timeline.json", count=5)
    with faulty("weibo:truncated=1;instagram:truncated=1") as api:
        cut = weibo(api, "/2/statuses/user_timeline.json", count=5)
        ig = instagram(api, edge="media", fields=MEDIA_FIELDS, limit=3)
    assert cut.status_code == 200 and int(cut.headers["Content-Length"]) == len(cut.content)
    assert 0 < len(cut.content) < len(clean.content) and clean.text.startswith(cut.text)
    with pytest.raises(ValueError):
        cut.json()
    assert ig.status_code == 200 and ig.text.startswith('{"data":[')
    with pytest.raises(ValueError):
        ig.json()


def test_truncated_body_reaches_the_connector_as_a_json_error_not_a_socket_error(monkeypatch):
    from ingestion.http import PlatformError, PlatformHttp
    from ingestion.settings import platform_settings

    with faulty("weibo:truncated=1") as api:
        monkeypatch.setenv("KOL_WEIBO_BASE_URL", api.base_url("weibo"))
        http = PlatformHttp(platform_settings("weibo"))
        with pytest.raises(PlatformError, match="not JSON"):
            http.get("/2/users/show.json", params={"access_token": TOKENS["weibo"], "uid": _uid("weibo"),
                                                   "export_date": DAY})
        http.close()


def test_expired_token_even_with_the_right_token_in_the_platforms_words():
    with faulty("weibo:expired_token=1;instagram:expired_token=1") as api:
        wb, ig = weibo(api), instagram(api, fields="id")
    assert wb.status_code == 400 and wb.json() == {"request": "/2/users/show.json", "error_code": "21327",
                                                   "error": "expired_token"}
    err = ig.json()["error"]
    assert ig.status_code == 400 and err["type"] == "OAuthException"
    assert (err["code"], err["error_subcode"]) == (190, 463) and "Session has expired" in err["message"]
    assert "invalid_token" in ig.headers["WWW-Authenticate"]


def test_duplicate_items_weibo_next_page_repeats_the_last_status_of_the_previous_page(demo_api):
    path = "/2/statuses/user_timeline.json"
    clean1 = weibo(demo_api, path, count=5).json()
    clean2 = weibo(demo_api, path, count=5, max_id=clean1["next_cursor"]).json()
    with faulty("weibo:duplicate_items=1") as api:
        page1 = weibo(api, path, count=5).json()
        page2 = weibo(api, path, count=5, max_id=page1["next_cursor"]).json()
        assert api.faults_injected == {"weibo": {"duplicate_items": 2}}
    # No earlier page: the first status comes twice. Cursors are untouched.
    assert [s["id"] for s in page1["statuses"]] == [clean1["statuses"][0]["id"]] + [s["id"] for s in clean1["statuses"]]
    assert page1["next_cursor"] == clean1["next_cursor"]
    # The next page starts with the previous page's last status again: the overlap a connector must dedupe.
    assert page2["statuses"][0] == clean1["statuses"][-1]
    assert page2["statuses"][1:] == clean2["statuses"]
    ids = [s["idstr"] for s in page1["statuses"] + page2["statuses"]]
    assert len(ids) - len(set(ids)) == 2


def test_duplicate_items_instagram_repeats_media_and_comments_across_pages(demo_api):
    media = instagram(demo_api, edge="media", fields=MEDIA_FIELDS, limit=10).json()["data"]
    busy = max(media, key=lambda m: m["comments_count"])
    assert busy["comments_count"] >= 4
    with faulty("instagram:duplicate_items=1") as api:
        first = instagram(api, edge="media", fields=MEDIA_FIELDS, limit=3).json()
        second = instagram(api, edge="media", fields=MEDIA_FIELDS, limit=3,
                           after=first["paging"]["cursors"]["after"]).json()
        c1 = instagram(api, busy["id"], "comments", limit=2).json()
        c2 = instagram(api, busy["id"], "comments", limit=2, after=c1["paging"]["cursors"]["after"]).json()
    assert first["data"][0] == first["data"][1] == media[0]
    assert second["data"][0] == media[2] and second["data"][1:] == media[3:6]
    assert c2["data"][0] == c1["data"][-1] and c2["data"][0]["id"] != c2["data"][1]["id"]


def test_schema_drift_new_field_count_as_string_and_missing_field(demo_api):
    path = "/2/statuses/user_timeline.json"
    clean_wb = weibo(demo_api, path, count=5).json()["statuses"]
    clean_user = weibo(demo_api).json()
    clean_ig = instagram(demo_api, edge="media", fields=MEDIA_FIELDS, limit=3).json()["data"]
    with faulty("weibo:schema_drift=1;instagram:schema_drift=1") as api:
        drifted_wb = weibo(api, path, count=5).json()["statuses"]
        drifted_user = weibo(api).json()
        drifted_ig = instagram(api, edge="media", fields=MEDIA_FIELDS, limit=3).json()["data"]
        assert api.faults_injected == {"weibo": {"schema_drift": 2}, "instagram": {"schema_drift": 1}}
    for clean, s in zip(clean_wb, drifted_wb):
        assert s["region_name"] and "pic_urls" not in s and "pic_urls" in clean
        likes = clean["attitudes_count"]
        assert isinstance(s["attitudes_count"], str)
        assert s["attitudes_count"] == str(likes) if likes < 10_000 else s["attitudes_count"].endswith("万")
        assert s["id"] == clean["id"] and s["reposts_count"] == clean["reposts_count"]
    followers = clean_user["followers_count"]
    assert followers >= 10_000 and drifted_user["followers_count"] == f"{followers / 10_000:.1f}".removesuffix(".0") + "万"
    assert "description" not in drifted_user and "region_name" in drifted_user
    for clean, m in zip(clean_ig, drifted_ig):
        assert m["like_count"] == str(clean["like_count"]) and m["is_shared_to_feed"] is True
        assert "caption" not in m and m["permalink"] == clean["permalink"]


def test_schema_drift_can_be_limited_to_one_kind(demo_api):
    clean = instagram(demo_api, edge="media", fields=MEDIA_FIELDS, limit=3).json()["data"]
    with faulty("instagram:schema_drift=1,drift=string_count") as api:
        drifted = instagram(api, edge="media", fields=MEDIA_FIELDS, limit=3).json()["data"]
    assert drifted == [m | {"like_count": str(m["like_count"])} for m in clean]


# ---------------------------------------------------------------- probabilities and reproducibility

def test_probability_zero_never_fires_and_answers_exactly_as_without_faults(demo_api):
    from ingestion.demo.faults import MODES

    spec = ";".join(f"{p}:" + ",".join(f"{m}=0" for m in MODES) + ",delay=5" for p in ("weibo", "instagram"))
    path = "/2/statuses/user_timeline.json"
    with faulty(spec, seed=3) as api:
        for _ in range(15):
            assert weibo(api, path, count=5).content == weibo(demo_api, path, count=5).content
            # Byte for byte, but for the server's own address in paging.next.
            assert (instagram(api, edge="media", fields=MEDIA_FIELDS, limit=3).content.replace(
                        api.url.encode(), b"") == instagram(demo_api, edge="media", fields=MEDIA_FIELDS,
                                                            limit=3).content.replace(demo_api.url.encode(), b""))
        assert api.faults_injected == {}
    assert demo_api.faults_injected == {}


def _label(resp: requests.Response) -> str:
    """What a client sees, in one word: the fault (if any) behind an answer."""
    if resp.status_code != 200:
        return f"http{resp.status_code}:" + str(resp.json().get("error_code"))
    try:
        body = resp.json()
    except ValueError:
        return "truncated"
    if "error_code" in body:
        return "throttle200:" + body["error_code"]
    return "drift" if isinstance(body["followers_count"], str) else "ok"


SPEC = "weibo:http_429=0.3,throttle_in_200=0.3,expired_token=0.3,truncated=0.3,schema_drift=0.3"


def _sequence(seed: int, interleave: bool = False) -> tuple[list[str], dict]:
    with faulty(SPEC + ";instagram:http_429=0.5", seed=seed) as api:
        labels = []
        for _ in range(50):
            if interleave:
                instagram(api, fields="id")
            labels.append(_label(weibo(api)))
        return labels, api.faults_injected


def test_same_seed_same_faults_other_seed_other_faults():
    first, injected = _sequence(seed=42)
    again, injected_again = _sequence(seed=42, interleave=True)  # the other platform's traffic changes nothing
    other, _ = _sequence(seed=43)
    assert first == again and injected["weibo"] == injected_again["weibo"]
    assert first != other
    # p = 0.3 per mode: a mix of clean answers and every kind of fault.
    assert {"ok", "truncated", "drift", "throttle200:10023", "http429:10023", "http400:21327"} <= set(first)
    assert 0 < first.count("ok") < 40
    assert sum(injected["weibo"].values()) >= 50 - first.count("ok")


# ---------------------------------------------------------------- configuration

def test_parse_the_compact_syntax():
    from ingestion.demo.faults import FaultConfig, PlatformFaults

    cfg = FaultConfig.parse(" weibo: http_429=0.1, server_error=0.05, burst=3, retry_after=0 ;"
                            "instagram:expired_token,slow=0.5,delay=0.25,throttle_code=4,drift=new_field+missing_field;",
                            seed=9)
    assert cfg.seed == 9
    assert cfg.platforms["weibo"] == PlatformFaults({"http_429": 0.1, "server_error": 0.05}, retry_after=0, burst=3)
    ig = cfg.platforms["instagram"]
    assert ig.modes == {"slow": 0.5, "expired_token": 1.0} and ig.delay == 0.25 and ig.throttle_code == 4
    assert ig.drift == ("new_field", "missing_field")
    assert FaultConfig.parse(str(cfg), seed=9) == cfg
    assert FaultConfig.parse("").platforms == {}
    assert FaultConfig({"weibo": {"http_429": 1}}).platforms["weibo"].modes == {"http_429": 1.0}


@pytest.mark.parametrize("spec, message", [
    ("myspace:http_429=1", r"unknown platform 'myspace'; valid platforms: weibo, douyin, xiaohongshu, bilibili, "
                           r"wechat, instagram, tiktok, youtube, x"),
    ("bilibili:quota_exceeded=1", r"bilibili has no daily quota to exhaust; quota_exceeded works for .*youtube"),
    ("weibo:http_492=1", r"unknown fault mode or parameter 'http_492'.*valid modes: http_429, throttle_in_200"),
    ("weibo:http_429=1.5", r"probability of http_429 must be a number from 0 to 1"),
    ("weibo:http_429=often", r"http_429 must be a number, got 'often'"),
    ("weibo:server_error=1,burst=0", r"burst must be a whole number of requests >= 1"),
    ("weibo:http_429=1,retry_after=-1", r"retry_after must be a whole number of seconds >= 0"),
    ("weibo:http_429=1,retry_after=1.5", r"retry_after must be a whole number, got '1.5'"),
    ("weibo:throttle_in_200=1,throttle_code=17", r"throttle_code 17 is not a weibo throttle; valid: 10022, 10023, 10024"),
    ("instagram:schema_drift=1,drift=new_field+renamed", r"unknown drift 'renamed'; valid: new_field, string_count"),
    ("weibo:delay", r"parameter delay needs a value"),
    ("http_429=1", r"must look like <platform>:<mode>=<probability>"),
    ("weibo:http_429=1;weibo:slow=1", r"platform 'weibo' appears twice"),
])
def test_parse_errors_name_what_is_valid(spec, message):
    from ingestion.demo.faults import FaultConfig, FaultConfigError

    with pytest.raises(FaultConfigError, match=message):
        FaultConfig.parse(spec)


def test_config_from_the_environment():
    from ingestion.demo.faults import FaultConfig, FaultConfigError

    assert FaultConfig.from_env({}) is None and FaultConfig.from_env({"KOL_DEMO_FAULTS": " "}) is None
    cfg = FaultConfig.from_env({"KOL_DEMO_FAULTS": "instagram:expired_token=1", "KOL_DEMO_FAULT_SEED": "5"})
    assert cfg.seed == 5 and cfg.platforms["instagram"].modes == {"expired_token": 1.0}
    with pytest.raises(FaultConfigError, match="seed must be an integer"):
        FaultConfig.from_env({"KOL_DEMO_FAULTS": "weibo:slow=1", "KOL_DEMO_FAULT_SEED": "abc"})


def test_cli_rejects_a_bad_fault_spec_from_the_environment_with_the_valid_names():
    env = os.environ | {"KOL_DEMO_FAULTS": "weibo:http_429=1;myspace:slow=1"}
    proc = subprocess.run([sys.executable, "-m", "ingestion.demo.server", "--port", "0"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2 and "unknown platform 'myspace'; valid platforms: weibo, douyin" in proc.stderr
