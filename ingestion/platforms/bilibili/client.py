"""Bilibili web API connector (``api.bilibili.com``, as documented by the community in
bilibili-API-collect): the user card, the space's video list (``pn``/``ps`` pages, newest
first), each tracked video's view (its full ``stat``), its comments with their sub-replies,
and the followers list (the audience sample).

Auth is the ``SESSDATA`` cookie (the token). The space list is a WBI endpoint: its query is
signed (``wts`` + ``w_rid``, an MD5 over the sorted query and a mixin key derived from the
day's keys in ``/x/web-interface/nav``). Errors arrive in HTTP 200 bodies, ``{"code",
"message", "ttl"}``: the body decides, never the status alone.

Page numbers end on a short page: the answer's ``page.count`` is the profile's video count,
which need not match the list, so it never decides when to stop.
"""
from __future__ import annotations

import hashlib
import json
import time
import urllib.parse
from datetime import date, datetime
from typing import Callable

from ingestion.http import PlatformError, PlatformHttp
from ingestion.platforms.base import (
    EXPORT_DATE_PARAM, MAX_PAGES, RawDay, RawRecord, day_bounds, lookback_window_start, time_or_none,
    tracking_window_start,
)
from ingestion.quirks import parse_epoch_seconds

VIDEO_PAGE = 50  # arc/search's largest `ps`
COMMENT_PAGE = 49  # /x/v2/reply's and /x/v2/reply/reply's largest `ps`
FANS_PAGE = 50  # /x/relation/fans' largest `ps`
ENV_TOKEN = "KOL_BILIBILI_ACCESS_TOKEN"

_AUTH = {-101}  # 账号未登录: SESSDATA missing, wrong or expired (Bilibili has no separate "expired")
_THROTTLE = {-412, -352, -509, -799}  # request blocked, risk control, too frequent (twice)
_TRANSIENT = {-500, -503, -504}  # server error, overloaded, service call timed out
_GONE = {-404, 62002, 62004}  # the video is not there (any more), deleted, or back under review

# The WBI mixin-key permutation (bilibili-API-collect, docs/misc/sign/wbi.md).
MIXIN_KEY_ENC_TAB = (46, 47, 18, 2, 53, 8, 23, 32, 15, 50, 10, 31, 58, 3, 45, 35, 27, 43, 5, 49, 33, 9, 42, 19, 29,
                     28, 14, 39, 12, 38, 41, 13, 37, 48, 7, 16, 24, 55, 40, 61, 26, 17, 0, 1, 60, 51, 30, 4, 22, 25,
                     54, 21, 56, 59, 6, 63, 57, 62, 11, 36, 20, 34, 44, 52)


def mixin_key(img_key: str, sub_key: str) -> str:
    orig = img_key + sub_key
    return "".join(orig[i] for i in MIXIN_KEY_ENC_TAB if i < len(orig))[:32]


def wbi_sign(params: dict, key: str, wts: int) -> dict[str, str]:
    """The query with ``wts`` and ``w_rid`` added, values stripped of ``!'()*`` as the site does."""
    signed = {k: "".join(c for c in str(v) if c not in "!'()*") for k, v in sorted((params | {"wts": wts}).items())}
    query = urllib.parse.urlencode(signed, quote_via=urllib.parse.quote)
    return signed | {"w_rid": hashlib.md5((query + key).encode()).hexdigest()}


def _key_of(url: object) -> str:
    return url.rsplit("/", 1)[-1].split(".", 1)[0] if isinstance(url, str) else ""


class _Gone(Exception):
    """An answer whose code the caller asked to handle itself."""

    def __init__(self, code: int):
        self.code = code


class BilibiliConnector:
    platform = "bilibili"

    def __init__(self, http: PlatformHttp):
        self.http = http
        self._headers = {"Cookie": f"SESSDATA={http.settings.token}", "Referer": "https://www.bilibili.com/",
                         "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
                                       "Chrome/126.0 Safari/537.36"}
        self._mixin: str | None = None
        self._wts = int(time.time())

    # ------------------------------------------------------------------ one call, classified

    def _classifier(self, handled: frozenset[int]):
        def classify(status: int, body: object, headers) -> None:
            """Data, or a PlatformError of the right kind: ``PlatformHttp`` retries throttles and
            transient faults (those in HTTP 200 bodies included) and fails fast on the others.
            A code in ``handled`` raises ``_Gone`` for the caller to deal with."""
            code = body.get("code") if isinstance(body, dict) else None
            if code not in (None, 0):
                code = code if isinstance(code, int) and not isinstance(code, bool) else None
                if code in handled:
                    raise _Gone(code)
                kind = ("auth" if code in _AUTH else "throttle" if code in _THROTTLE else
                        "transient" if code in _TRANSIENT else
                        "throttle" if status == 429 else "transient" if status >= 500 else "fatal")
                message = f"code {body.get('code')} (HTTP {status}): {body.get('message')}."
                if kind == "auth":
                    message += (" The SESSDATA cookie is missing, wrong or expired: log in to bilibili.com again "
                                f"and set {ENV_TOKEN} to the new SESSDATA.")
                elif code == -403:
                    message += " Bilibili refused the query's signature (WBI keys rotate daily) or the access."
                raise PlatformError(self.platform, kind, message)
            if status == 429:
                raise PlatformError(self.platform, "throttle", "HTTP 429 without a Bilibili error body")
            if status >= 500:
                raise PlatformError(self.platform, "transient", f"HTTP {status} without a Bilibili error body")
            if status != 200 or not isinstance(body, dict) or code is None:
                raise PlatformError(self.platform, "fatal", f"HTTP {status} without a Bilibili body")
        return classify

    def _data(self, path: str, params: dict, signed: bool = False, handled: frozenset[int] = frozenset()) -> object:
        """The ``data`` of one call; WBI endpoints get their query signed."""
        query = wbi_sign(params, self._wbi_key(params), self._wts) if signed else params
        try:
            _, body = self.http.get(path, params=query, headers=self._headers, classify=self._classifier(handled))
        except PlatformError as exc:
            raise PlatformError(self.platform, exc.kind, f"{path} failed: {str(exc).split(': ', 1)[1]}") from None
        return body.get("data")

    def _wbi_key(self, params: dict) -> str:
        """The day's mixin key, from the keys ``nav`` hands out (to guests too, with code -101).
        Where nav is not served (the demo), the key is empty: the demo only checks that a
        signature is there."""
        if self._mixin is None:
            try:
                data = self._data("/x/web-interface/nav", {EXPORT_DATE_PARAM: params.get(EXPORT_DATE_PARAM)},
                                  handled=frozenset({-101, -404}))
            except _Gone:
                data = None
            img = (data or {}).get("wbi_img") if isinstance(data, dict) else None
            img = img if isinstance(img, dict) else {}
            self._mixin = mixin_key(_key_of(img.get("img_url")), _key_of(img.get("sub_url")))
        return self._mixin

    def _pages(self, path: str, params: dict, ps: int, items_of: Callable[[dict], object], signed: bool = False):
        """``pn``/``ps`` paging; yields each page's items and stops after a short one (``null``
        past the end counts as empty). The caller may stop early."""
        previous = None
        for pn in range(1, MAX_PAGES + 1):
            data = self._data(path, params | {"pn": pn, "ps": ps}, signed=signed)
            data = data if isinstance(data, dict) else {}
            items = items_of(data) or []
            if not isinstance(items, list):
                raise PlatformError(self.platform, "fatal", f"{path} answered a page that is not a list")
            marker = json.dumps([items[0], items[-1]], sort_keys=True, default=str) if items else None
            if marker is not None and marker == previous:
                raise PlatformError(self.platform, "fatal", f"{path} answered page {pn} the same as page {pn - 1}")
            previous = marker
            yield items
            page = data.get("page") if isinstance(data.get("page"), dict) else {}
            size = page.get("ps") or page.get("size") or ps
            if len(items) < (size if isinstance(size, int) and not isinstance(size, bool) else ps):
                return
        raise PlatformError(self.platform, "fatal", f"{path} returned more than {MAX_PAGES} pages")

    # ------------------------------------------------------------------ the day

    def pull_day(self, account_ids: list[str], day: date) -> RawDay:
        raw = RawDay(self.platform, day)
        _, end = day_bounds(day)
        track_start, look_start = tracking_window_start(day), lookback_window_start(day)
        ctx = {"snapshot_date": day.isoformat()}
        query = {EXPORT_DATE_PARAM: day.isoformat()}
        for mid in account_ids:
            owner = {"mid": mid}
            card = self._data("/x/web-interface/card", query | {"mid": mid})
            raw.records["profiles"].append(RawRecord(card, ctx | owner))

            views: dict[str, dict | None] = {}
            comments_read: set[str] = set()
            space = query | {"mid": mid, "order": "pubdate", "tid": 0}
            for vlist in self._pages("/x/space/wbi/arc/search", space, VIDEO_PAGE,
                                     lambda d: (d.get("list") or {}).get("vlist"), signed=True):
                times = [time_or_none(parse_epoch_seconds, v, "created") if isinstance(v, dict) else None
                         for v in vlist]
                unread: list = []
                for video, t in zip(vlist, times):
                    if t is not None and not track_start <= t < end:
                        continue
                    aid = video.get("aid") if isinstance(video, dict) else None
                    aid = str(aid) if isinstance(aid, (int, str)) and not isinstance(aid, bool) and aid else None
                    if t is not None and aid and aid not in views:
                        views[aid] = self._view(aid, query)
                    # Every item is passed on, repeats included: landing counts and drops
                    # duplicates on the natural key, so the accounting sees them.
                    raw.records["post_metrics"].append(RawRecord(views.get(aid) or video, ctx | owner))
                    if t is None or t >= look_start:
                        raw.records["posts"].append(RawRecord(video, owner))
                    if t is not None and aid and aid not in comments_read:
                        comments_read.add(aid)
                        unread.append(aid)
                # The page's comment threads are read side by side, and kept in the page's order.
                for comments in self.http.map(lambda aid: self._comments_on(aid, mid, query, look_start, end), unread):
                    raw.records["comments"] += comments
                known = [t for t in times if t is not None]
                if not vlist or (known and min(known) < track_start):
                    break

            for fans in self._pages("/x/relation/fans", query | {"vmid": mid}, FANS_PAGE, lambda d: d.get("list")):
                raw.records["audience"] += [RawRecord(f, ctx | {"vmid": mid}) for f in fans]
        return raw

    def _view(self, aid: str, query: dict) -> dict | None:
        """The video's view (its full ``stat``); None when Bilibili no longer shows the video
        it just listed (deleted, or back under review): the list's counts stand in."""
        try:
            data = self._data("/x/web-interface/view", query | {"aid": aid}, handled=frozenset(_GONE))
        except _Gone:
            return None
        return data if isinstance(data, dict) else None

    def _comments_on(self, aid: str, upper_mid: str, query: dict, look_start: datetime,
                     end: datetime) -> list[RawRecord]:
        """Root comments and sub-replies on one video written in the lookback window. A reply in
        the window can answer an older root, so every root of the (young) video is read; a root's
        sub-replies are paged only when more exist than ride along with it."""
        ctx = {"oid": aid, "upper_mid": upper_mid}
        out: list[RawRecord] = []

        def keep(items: list) -> None:
            for item in items:
                t = time_or_none(parse_epoch_seconds, item, "ctime") if isinstance(item, dict) else None
                if t is None or look_start <= t < end:
                    out.append(RawRecord(item, ctx))

        params = query | {"type": 1, "oid": aid, "sort": 0}
        threads_read: set[str] = set()
        for roots in self._pages("/x/v2/reply", params, COMMENT_PAGE, lambda d: d.get("replies")):
            keep(roots)
            for root in roots:
                if not isinstance(root, dict) or not root.get("rpid") or str(root["rpid"]) in threads_read:
                    continue
                threads_read.add(str(root["rpid"]))
                inline = root.get("replies") if isinstance(root.get("replies"), list) else []
                total = root.get("rcount", root.get("count"))
                if isinstance(total, int) and not isinstance(total, bool) and total <= len(inline):
                    keep(inline)
                    continue
                for subs in self._pages("/x/v2/reply/reply", params | {"root": root["rpid"]}, COMMENT_PAGE,
                                        lambda d: d.get("replies")):
                    keep(subs)
        return out


CONNECTOR = BilibiliConnector
