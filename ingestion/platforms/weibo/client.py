"""Weibo open API connector: users/show, statuses/user_timeline (max_id paging),
comments/show and friendships/followers, with the ``access_token`` query parameter."""
from __future__ import annotations

from datetime import date

from ingestion.http import PlatformError, PlatformHttp
from ingestion.platforms.base import EXPORT_DATE_PARAM, RawDay, RawRecord, day_bounds, tracking_window_start
from ingestion.platforms.weibo.normalize import parse_weibo_time

PAGE_SIZE = 100  # Weibo's maximum `count`

_THROTTLE = {"10022", "10023", "10024"}  # per-IP and per-user rate limits
_AUTH = {"21314", "21315", "21316", "21317", "21319", "21327", "21332", "10006"}
_TRANSIENT = {"10001", "10009", "10010"}  # system error, task too busy, job expired


class WeiboConnector:
    platform = "weibo"

    def __init__(self, http: PlatformHttp):
        self.http = http

    def _get(self, path: str, **params: object) -> dict:
        # Weibo reports errors in the body, with HTTP 200 or 4xx alike: classify the body.
        status, body = self.http.get(path, params={"access_token": self.http.settings.token, **params})
        if isinstance(body, dict) and "error_code" in body:
            code = str(body["error_code"])
            kind = "throttle" if code in _THROTTLE else "auth" if code in _AUTH else (
                "transient" if code in _TRANSIENT else "fatal")
            hint = " Renew KOL_WEIBO_ACCESS_TOKEN (OAuth2 tokens expire)." if kind == "auth" else ""
            raise PlatformError(self.platform, kind, f"{path} failed with error_code {code}: {body.get('error')}.{hint}")
        if status != 200 or not isinstance(body, dict):
            raise PlatformError(self.platform, "fatal", f"{path} answered HTTP {status} without a Weibo error body")
        return body

    def pull_day(self, account_ids: list[str], day: date) -> RawDay:
        raw = RawDay(self.platform, day)
        start, end = day_bounds(day)
        window_start = tracking_window_start(day)
        ctx = {"snapshot_date": day.isoformat()}
        export = {EXPORT_DATE_PARAM: day.isoformat()}
        for uid in account_ids:
            raw.records["profiles"].append(RawRecord(self._get("/2/users/show.json", uid=uid, **export), ctx))

            tracked = []
            max_id = None
            while True:
                page = self._get("/2/statuses/user_timeline.json", uid=uid, count=PAGE_SIZE,
                                 **({"max_id": max_id} if max_id else {}), **export)
                statuses = page.get("statuses") or []
                tracked += [s for s in statuses if parse_weibo_time(s["created_at"]) >= window_start]
                oldest = parse_weibo_time(statuses[-1]["created_at"]) if statuses else None
                max_id = page.get("next_cursor") or 0
                if not max_id or oldest is None or oldest < window_start:
                    break
            # max_id is inclusive on Weibo: a status can come back on two pages.
            tracked = list({s["idstr"]: s for s in tracked}.values())
            for status in tracked:
                raw.records["post_metrics"].append(RawRecord(status, ctx))
                if start <= parse_weibo_time(status["created_at"]) < end:
                    raw.records["posts"].append(RawRecord(status))
                if status.get("comments_count"):
                    raw.records["comments"] += [RawRecord(c) for c in self._comments_on(status["idstr"], start, end, export)]

            cursor = 0
            while True:
                page = self._get("/2/friendships/followers.json", uid=uid, count=200, cursor=cursor, **export)
                raw.records["audience"] += [RawRecord(u, ctx | {"followed_user_id": uid}) for u in page.get("users") or []]
                cursor = page.get("next_cursor") or 0
                if not cursor:
                    break
        return raw

    def _comments_on(self, status_id: str, start, end, export: dict) -> list[dict]:
        out, max_id = [], None
        while True:
            page = self._get("/2/comments/show.json", id=status_id, count=PAGE_SIZE,
                             **({"max_id": max_id} if max_id else {}), **export)
            comments = page.get("comments") or []
            out += [c for c in comments if start <= parse_weibo_time(c["created_at"]) < end]
            max_id = page.get("next_cursor") or 0
            # Newest first: once a page reaches before the day, older pages cannot matter.
            if not max_id or not comments or parse_weibo_time(comments[-1]["created_at"]) < start:
                return out
