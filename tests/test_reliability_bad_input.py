"""Bad answers from a platform's API, through real HTTP: a tampering proxy on loopback sits
between the Weibo client and the demo export API and spoils one answer the way real APIs and
their gateways do (a value of the wrong type, a missing id, a negative count, a time decades
away, a field the size of a file, a repeated id, an empty, cut or non-UTF-8 body).

Each case is compared with the same day pulled straight from the API: the spoiled record is
quarantined with a reason that names its field (or, for a spoiled body, the request is retried
and the day lands whole), every other record of the day lands as it did without the fault, and
every slice's accounting balances. The dropped-file side of the matrix is `tests/test_inbox.py`
(`BAD_FILES`, `BAD_ROWS`, `HOSTILE_NAMES`); `docs/reliability.md` lists both."""
from __future__ import annotations

import json
import os
import threading
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable

import pyarrow.parquet as pq
import pytest
import requests

from ingestion.http import PlatformError
from ingestion.landing import read_manifest, unlanded_slices
from ingestion.pull import pull_platform_day
from ingestion.schemas import ENTITIES
from tests.conftest import TOKENS

DAY = date(2026, 11, 24)
TIMELINE, COMMENTS, FOLLOWERS, PROFILE = ("/2/statuses/user_timeline.json", "/2/comments/show.json",
                                          "/2/friendships/followers.json", "/2/users/show.json")
Tamper = Callable[[bytes], bytes]


class TamperingProxy:
    """Forwards every request to ``upstream`` and spoils the body of the first ``times``
    answers whose path ends with ``path`` (all of them with ``times=None``)."""

    def __init__(self, upstream: str, path: str, tamper: Tamper, times: int | None = 1):
        self.upstream, self.path, self.tamper, self.left = upstream, path, tamper, times
        self.spoiled = 0
        lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _forward(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                resp = requests.request(method, proxy.upstream + self.path, headers=headers, data=body, timeout=30)
                content = resp.content
                with lock:
                    hit = self.path.split("?")[0].endswith(proxy.path) and resp.status_code == 200 and \
                        (proxy.left is None or proxy.left > 0)
                    if hit:
                        proxy.spoiled += 1
                        if proxy.left is not None:
                            proxy.left -= 1
                if hit:
                    content = proxy.tamper(content)
                self.send_response(resp.status_code)
                self.send_header("Content-Type", resp.headers.get("Content-Type", "application/json"))
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            def do_GET(self):
                self._forward("GET")

            def do_POST(self):
                self._forward("POST")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> "TamperingProxy":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"


def edit_json(edit: Callable[[dict], None]) -> Tamper:
    def tamper(content: bytes) -> bytes:
        body = json.loads(content)
        edit(body)
        return json.dumps(body, ensure_ascii=False).encode()
    return tamper


def first(items_key: str, **changes) -> Tamper:
    """The first item of the list: fields set (a value) or removed (None)."""
    def edit(body: dict) -> None:
        item = body[items_key][0]
        for k, v in changes.items():
            if v is None:
                item.pop(k, None)
            else:
                item[k] = v
    return edit_json(edit)


def repeat_first_with_other_text(body: dict) -> None:
    body["comments"].insert(1, {**body["comments"][0], "text": "the same id, said again"})


def invalid_utf8(content: bytes) -> bytes:
    at = content.index(b'"text"') + 9
    return content[:at] + b"\xff\xfe" + content[at:]


# case: (path, tamper, entity whose record is quarantined, words of its reason)
RECORD_CASES = {
    "wrong type": (TIMELINE, first("statuses", attitudes_count={"n": 5}), "post_metrics", ["attitudes_count"]),
    "missing id": (COMMENTS, first("comments", id=None, idstr=None, mid=None), "comments", ["id"]),
    "negative count": (TIMELINE, first("statuses", reposts_count=-3), "post_metrics", ["negative"]),
    "far future": (COMMENTS, first("comments", created_at="Sat Jan 01 08:00:00 +0800 2039"), "comments",
                   ["created_at", "in the future"]),
    "far past": (COMMENTS, first("comments", created_at="Thu Jan 01 08:00:00 +0800 1970"), "comments",
                 ["created_at", "before 2000"]),
    "oversized field": (COMMENTS, first("comments", text="啊" * 10_001), "comments", ["text", "10,001 characters"]),
    "wrong type of a follower": (FOLLOWERS, first("users", followers_count="many"), "audience", ["followers_count"]),
}
# Spoiled bodies: retried, and the day lands whole.
BODY_CASES = {
    "empty body": (PROFILE, lambda content: b""),
    "cut JSON": (TIMELINE, lambda content: content[: len(content) // 2]),
    "invalid UTF-8": (COMMENTS, invalid_utf8),
    "HTML error page in a 200": (FOLLOWERS, lambda content: b"<html><body>502 Bad Gateway</body></html>"),
}


def landed_rows(lake: Path) -> dict[str, int]:
    return {e: (read_manifest(lake, "weibo", e, DAY) or {}).get("landed", 0) for e in ENTITIES}


def landed_content(lake: Path) -> dict[str, list]:
    """Every landed row of the day but its landing time, in a stable order."""
    out = {}
    for entity in ENTITIES:
        f = lake / "raw" / "weibo" / entity / f"dt={DAY}" / "data.parquet"
        table = pq.read_table(f)
        table = table.drop_columns([c for c in table.column_names if c == "_loaded_at"])
        out[entity] = sorted(json.dumps(r, sort_keys=True, default=str, ensure_ascii=False) for r in table.to_pylist())
    return out


def quarantine_lines(lake: Path, entity: str) -> list[dict]:
    qfile = lake / "quarantine" / "weibo" / entity / f"dt={DAY}" / "records.jsonl"
    return [json.loads(line) for line in qfile.read_text(encoding="utf-8").splitlines()] if qfile.exists() else []


@pytest.fixture(scope="module")
def baseline(demo_api, tmp_path_factory) -> tuple[str, dict[str, int], dict[str, list]]:
    lake = tmp_path_factory.mktemp("baseline") / "lake"
    pull_platform_day("weibo", DAY, lake=lake)
    return demo_api.base_url("weibo"), landed_rows(lake), landed_content(lake)


def pull_through(proxy: TamperingProxy, upstream: str, lake: Path, monkeypatch) -> list:
    monkeypatch.setenv("KOL_WEIBO_BASE_URL", upstream.replace(proxy.upstream, proxy.url))
    monkeypatch.setenv("KOL_HTTP_RETRIES", "2")
    return pull_platform_day("weibo", DAY, lake=lake)


def upstream_root(base_url: str) -> str:
    return base_url.rsplit("/", 1)[0]


@pytest.mark.parametrize("case", list(RECORD_CASES))
def test_a_spoiled_record_is_quarantined_naming_its_field_and_the_rest_of_the_day_lands(case, baseline, tmp_path,
                                                                                        monkeypatch):
    base_url, expected, _ = baseline
    path, tamper, entity, words = RECORD_CASES[case]
    lake = tmp_path / "lake"
    with TamperingProxy(upstream_root(base_url), path, tamper) as proxy:
        reports = pull_through(proxy, base_url, lake, monkeypatch)
    assert proxy.spoiled == 1
    assert unlanded_slices(lake, ["weibo"], [DAY]) == []  # every slice landed and balances
    assert all(r.fetched == r.landed + r.quarantined + r.duplicates for r in reports)
    (spoiled,) = quarantine_lines(lake, entity)
    assert all(w in spoiled["reason"] for w in words), spoiled["reason"]
    assert spoiled["payload"], "the quarantine keeps the record itself"
    got = landed_rows(lake)
    assert got[entity] == expected[entity] - 1
    # Only the spoiled record is missing: the others of its slice and every other slice are there.
    # (A post with an impossible time is also not read for comments, which are not the day's loss.)
    assert {e: n for e, n in got.items() if e != entity} == {e: n for e, n in expected.items() if e != entity} or \
        case == "far future"
    # No secret of any platform reaches the quarantine.
    text = json.dumps(quarantine_lines(lake, entity), ensure_ascii=False)
    assert not any(token in text for token in TOKENS.values())


def test_a_repeated_id_lands_once_and_is_counted_as_a_duplicate(baseline, tmp_path, monkeypatch):
    base_url, expected, _ = baseline
    lake = tmp_path / "lake"
    with TamperingProxy(upstream_root(base_url), COMMENTS, edit_json(repeat_first_with_other_text)) as proxy:
        reports = pull_through(proxy, base_url, lake, monkeypatch)
    comments = next(r for r in reports if r.entity == "comments")
    assert proxy.spoiled == 1 and comments.duplicates >= 1
    assert landed_rows(lake) == expected
    _, _, content = baseline
    changed = [e for e in ENTITIES if landed_content(lake)[e] != content[e]]
    assert changed == ["comments"]  # the last of the repeats wins: its text
    ids = pq.read_table(lake / "raw" / "weibo" / "comments" / f"dt={DAY}" / "data.parquet").column("id").to_pylist()
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("case", list(BODY_CASES))
def test_a_spoiled_body_is_retried_and_the_day_lands_whole(case, baseline, tmp_path, monkeypatch):
    base_url, expected, content = baseline
    path, tamper = BODY_CASES[case]
    lake = tmp_path / "lake"
    with TamperingProxy(upstream_root(base_url), path, tamper) as proxy:
        pull_through(proxy, base_url, lake, monkeypatch)
    assert proxy.spoiled == 1
    assert landed_rows(lake) == expected
    # ...with the values the platform sent: nothing decoded wrongly (no U+FFFD) or half-read.
    assert landed_content(lake) == content
    assert unlanded_slices(lake, ["weibo"], [DAY]) == []


@pytest.mark.parametrize("case", list(BODY_CASES))
def test_a_body_spoiled_every_time_fails_the_day_clearly_and_lands_nothing_half(case, baseline, demo_api, tmp_path,
                                                                                monkeypatch):
    base_url, _, _ = baseline
    path, tamper = BODY_CASES[case]
    lake = tmp_path / "lake"
    with TamperingProxy(upstream_root(base_url), path, tamper, times=None) as proxy:
        with pytest.raises(PlatformError) as err:
            pull_through(proxy, base_url, lake, monkeypatch)
    message = str(err.value)
    assert path in message and "not JSON" in message, message
    assert TOKENS["weibo"] not in message
    # Nothing of the failed day is in the lake, so the next run sees it as not landed.
    assert not (lake / "raw" / "weibo").exists() or not any((lake / "raw" / "weibo").rglob("data.parquet"))
    # The same run's other platforms are not affected: Instagram lands its day.
    monkeypatch.setenv("KOL_INSTAGRAM_BASE_URL", demo_api.base_url("instagram"))
    pull_platform_day("instagram", DAY, lake=lake)
    assert unlanded_slices(lake, ["instagram"], [DAY]) == []


@pytest.mark.parametrize("platform", ["../etc", "weibo/../../tmp", "", "WEIBO", "weibo\x00"])
def test_a_hostile_platform_name_is_refused_before_anything_is_written(platform, tmp_path):
    lake = tmp_path / "lake"
    with pytest.raises(ValueError, match="unknown platform"):
        pull_platform_day(platform, DAY, lake=lake)
    assert not lake.exists() and os.listdir(tmp_path) == []
