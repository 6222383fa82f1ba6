"""Weibo open API connector: users/show, statuses/user_timeline (max_id paging),
comments/show and friendships/followers, authenticated by the ``OAuth2`` header
(Weibo also takes an ``access_token`` query parameter, which would put the token
into every logged URL)."""
from __future__ import annotations

from datetime import date

from ingestion.http import PlatformError, PlatformHttp, quota_resets
from ingestion.platforms.base import (
    EXPORT_DATE_PARAM, MAX_PAGES, RawDay, RawRecord, day_bounds, lookback_window_start, time_or_none,
    tracking_window_start,
)
from ingestion.platforms.weibo.normalize import parse_weibo_time

PAGE_SIZE = 100  # Weibo's maximum `count`

_THROTTLE = {"10022", "10023", "10024"}  # per-IP and per-user rate limits
_AUTH = {"21314", "21315", "21316", "21317", "21319", "21327", "21332", "10006"}
_TRANSIENT = {"10001", "10009", "10010"}  # system error, task too busy, job expired
_QUOTA = {"10024"}  # with HTTP 403: the app's daily call limit for this API


class WeiboConnector:
    platform = "weibo"

    def __init__(self, http: PlatformHttp):
        self.http = http

    def _classify(self, status: int, body: object, headers) -> None:
        # Weibo reports errors in the body, with HTTP 200 or 4xx alike: classify the body.
        if isinstance(body, dict) and "error_code" in body:
            code = str(body["error_code"])
            if code in _QUOTA and status == 403:
                raise PlatformError(self.platform, "quota", f"error_code {code}: {body.get('error')}; the daily call "
                                    f"limit is spent: {quota_resets('Asia/Shanghai')}")
            kind = "throttle" if code in _THROTTLE else "auth" if code in _AUTH else (
                "transient" if code in _TRANSIENT else "fatal")
            hint = " Renew KOL_WEIBO_ACCESS_TOKEN (OAuth2 tokens expire)." if kind == "auth" else ""
            raise PlatformError(self.platform, kind, f"error_code {code}: {body.get('error')}.{hint}")
        if status != 200 or not isinstance(body, dict):
            kind = "transient" if status == 429 or status >= 500 else "fatal"
            raise PlatformError(self.platform, kind, f"HTTP {status} without a Weibo error body")

    def _get(self, path: str, **params: object) -> dict:
        # The token goes in the OAuth2 header, never in the URL that libraries log.
        try:
            _, body = self.http.get(path, params=params, classify=self._classify,
                                    headers={"Authorization": f"OAuth2 {self.http.settings.token}"})
        except PlatformError as exc:
            raise PlatformError(self.platform, exc.kind, f"{path} failed: {str(exc).split(': ', 1)[1]}") from None
        return body

    def _pages(self, path: str, items_key: str, **params: object):
        """max_id paging, newest first. Yields each page's items; the caller stops early."""
        max_id = None
        for _ in range(MAX_PAGES):
            page = self._get(path, count=PAGE_SIZE, **({"max_id": max_id} if max_id else {}), **params)
            items = page.get(items_key) or []
            yield items
            next_id = page.get("next_cursor") or 0
            if not next_id:
                return
            if max_id is not None and int(next_id) >= int(max_id):
                raise PlatformError(self.platform, "fatal", f"{path} paging did not advance (max_id {max_id})")
            max_id = next_id
        raise PlatformError(self.platform, "fatal", f"{path} returned more than {MAX_PAGES} pages")

    def pull_day(self, account_ids: list[str], day: date) -> RawDay:
        raw = RawDay(self.platform, day)
        _, end = day_bounds(day)
        window_start = tracking_window_start(day)
        # Posts and comments of the last LOOKBACK_DAYS are read again, so rows the platform showed
        # late are caught; landing drops those already landed (EVENT_ENTITIES).
        start = lookback_window_start(day)
        ctx = {"snapshot_date": day.isoformat()}
        export = {EXPORT_DATE_PARAM: day.isoformat()}
        for uid in account_ids:
            raw.records["profiles"].append(RawRecord(self._get("/2/users/show.json", uid=uid, **export), ctx))

            comments_read: set[str] = set()
            for statuses in self._pages("/2/statuses/user_timeline.json", "statuses", uid=uid, **export):
                times = [time_or_none(parse_weibo_time, s, "created_at") for s in statuses]
                unread: list[str] = []
                for status, t in zip(statuses, times):
                    if t is not None and not window_start <= t < end:
                        continue
                    # Every item is passed on, repeats included: landing counts and drops
                    # duplicates on the natural key, so the accounting sees them.
                    raw.records["post_metrics"].append(RawRecord(status, ctx))
                    if t is None or t >= start:
                        raw.records["posts"].append(RawRecord(status))
                    status_id = str(status.get("idstr") or status.get("id") or "")
                    if t is not None and status_id and status_id not in comments_read:
                        comments_read.add(status_id)
                        unread.append(status_id)
                # The page's comment threads are read side by side, and kept in the page's order.
                for comments in self.http.map(lambda s: self._comments_on(s, start, end, export), unread):
                    raw.records["comments"] += comments
                known = [t for t in times if t is not None]
                if not statuses or (known and min(known) < window_start):
                    break

            cursor = 0
            for _ in range(MAX_PAGES):
                page = self._get("/2/friendships/followers.json", uid=uid, count=200, cursor=cursor, **export)
                raw.records["audience"] += [RawRecord(u, ctx | {"followed_user_id": uid}) for u in page.get("users") or []]
                next_cursor = page.get("next_cursor") or 0
                if not next_cursor or next_cursor <= cursor:
                    break
                cursor = next_cursor
        return raw

    def _comments_on(self, status_id: str, start, end, export: dict) -> list[RawRecord]:
        out = []
        for comments in self._pages("/2/comments/show.json", "comments", id=status_id, **export):
            times = [time_or_none(parse_weibo_time, c, "created_at") for c in comments]
            out += [RawRecord(c) for c, t in zip(comments, times) if t is None or start <= t < end]
            known = [t for t in times if t is not None]
            # Newest first: once a page reaches before the day, older pages cannot matter.
            if not comments or (known and min(known) < start):
                return out
        return out


CONNECTOR = WeiboConnector
