"""Douyin open platform connector (``open.douyin.com``): user info and fans data, the video
list (``cursor`` + ``has_more``, newest first), each tracked video's item data, its comments
and the creator's replies, and the fans list (the audience sample).

Auth is the ``access-token`` header with the account's ``open_id`` as a query parameter
(Douyin also takes ``access_token`` in the query, which would put it in every logged URL).
Douyin reports errors inside HTTP 200 bodies: ``{"data": {"error_code", "description"},
"extra": {"error_code", "sub_error_code", "sub_description", "logid", "now"}}``; a
non-zero ``error_code`` is an error, whatever the HTTP status says.

The list's ``statistics.play_count`` is 0 for most videos; the plays come from
``/data/external/item/base/``, one call per video (Douyin has no batch form of it), only for
videos in the tracking window. Its answer rides along in the metrics payload under
``external_item_base``; the profile carries the day's fans-data row under ``external_user_fans``.
"""
from __future__ import annotations

from datetime import date, datetime

from ingestion.http import PlatformError, PlatformHttp, quota_resets
from ingestion.platforms.base import (
    EXPORT_DATE_PARAM, MAX_PAGES, RawDay, RawRecord, day_bounds, lookback_window_start, time_or_none,
    tracking_window_start,
)
from ingestion.platforms.douyin.normalize import ITEM_BASE, USER_FANS
from ingestion.quirks import parse_epoch_seconds

VIDEO_PAGE = 20  # video_list's largest `count`
COMMENT_PAGE = 50  # comment and reply lists' largest `count`
FANS_PAGE = 20  # fans/list's largest `count`
FANS_DATE_TYPE = 7  # days of fans data per call (7, 15 or 30)
QUOTA_TZ = "Asia/Shanghai"  # the open platform's daily quotas reset at midnight Beijing time

_AUTH = {2190002: "access_token invalid", 2190008: "access_token expired",
         2190015: "the access_token was not issued for this open_id"}
_THROTTLE = {2100004}  # 系统繁忙，此时请开发者稍候再试
_TRANSIENT = {10001}  # 系统异常
_QUOTA = {2190001}  # quota已用完
ENV_TOKEN = "KOL_DOUYIN_ACCESS_TOKEN"


def _error_code(body: dict) -> int | None:
    for part in ("data", "extra"):
        holder = body.get(part)
        if isinstance(holder, dict) and holder.get("error_code") not in (None, 0, "0"):
            try:
                return int(holder["error_code"])
            except (TypeError, ValueError):
                return -1
    return None


class DouyinConnector:
    platform = "douyin"

    def __init__(self, http: PlatformHttp):
        self.http = http
        self._headers = {"access-token": http.settings.token}

    # ------------------------------------------------------------------ one call, classified

    def _classify(self, status: int, body: object, headers) -> None:
        """Data, or a PlatformError of the right kind: ``PlatformHttp`` retries throttles and
        transient faults (those in HTTP 200 bodies included) and fails fast on the others."""
        code = _error_code(body) if isinstance(body, dict) else None
        if code is not None:
            kind = ("auth" if code in _AUTH else "throttle" if code in _THROTTLE else
                    "transient" if code in _TRANSIENT else "quota" if code in _QUOTA else
                    "throttle" if status == 429 else "transient" if status >= 500 else "fatal")
            extra = body.get("extra") if isinstance(body.get("extra"), dict) else {}
            data = body.get("data") if isinstance(body.get("data"), dict) else {}
            detail = extra.get("sub_description") or ""
            message = (f"error_code {code}: {data.get('description') or extra.get('description')}"
                       + (f" ({detail})" if detail else "") + f" [logid {extra.get('logid')}].")
            if kind == "auth":
                message += (f" {_AUTH[code]}: have the account authorise the app again (Douyin access tokens "
                            f"last 15 days; refresh them with the refresh_token) and set {ENV_TOKEN}.")
            elif kind == "quota":
                message += f" The app's daily call quota is used up: {quota_resets(QUOTA_TZ)}."
            raise PlatformError(self.platform, kind, message)
        if status == 429:
            raise PlatformError(self.platform, "throttle", "HTTP 429 without a Douyin error body")
        if status >= 500:
            raise PlatformError(self.platform, "transient", f"HTTP {status} without a Douyin error body")
        if status != 200 or not isinstance(body, dict) or not isinstance(body.get("data"), dict):
            raise PlatformError(self.platform, "fatal", f"HTTP {status} without a Douyin data object")

    def _data(self, path: str, params: dict) -> dict:
        """The ``data`` object of one call."""
        try:
            _, body = self.http.get(path, params=params, headers=self._headers, classify=self._classify)
        except PlatformError as exc:
            raise PlatformError(self.platform, exc.kind, f"{path} failed: {str(exc).split(': ', 1)[1]}") from None
        return body["data"]

    def _pages(self, path: str, params: dict, count: int):
        """``cursor`` + ``has_more`` paging; yields each page's list. The caller may stop early."""
        cursor, seen = 0, set()
        for _ in range(MAX_PAGES):
            data = self._data(path, params | {"cursor": cursor, "count": count})
            items = data.get("list") or []
            if not isinstance(items, list):
                raise PlatformError(self.platform, "fatal", f"{path} answered a `list` that is not a list")
            yield items
            if not data.get("has_more"):
                return
            nxt = data.get("cursor")
            seen.add(cursor)
            if isinstance(nxt, bool) or not isinstance(nxt, int) or nxt in seen:
                raise PlatformError(self.platform, "fatal",
                                    f"{path} paging did not advance (cursor {cursor} -> {nxt!r})")
            cursor = nxt
        raise PlatformError(self.platform, "fatal", f"{path} returned more than {MAX_PAGES} pages")

    # ------------------------------------------------------------------ the day

    def pull_day(self, account_ids: list[str], day: date) -> RawDay:
        raw = RawDay(self.platform, day)
        _, end = day_bounds(day)
        track_start, look_start = tracking_window_start(day), lookback_window_start(day)
        ctx = {"snapshot_date": day.isoformat()}
        for open_id in account_ids:
            query = {"open_id": open_id, EXPORT_DATE_PARAM: day.isoformat()}
            owner = {"open_id": open_id}

            profile = dict(self._data("/oauth/userinfo/", query))
            fans = self._data("/data/external/user/fans/", query | {"date_type": FANS_DATE_TYPE}).get("result_list")
            profile[USER_FANS] = next((row for row in fans or [] if isinstance(row, dict)
                                       and row.get("date") == day.isoformat()), None)
            raw.records["profiles"].append(RawRecord(profile, ctx | owner))

            item_data: dict[str, dict | None] = {}
            comments_read: set[str] = set()
            for videos in self._pages("/api/douyin/v1/video/video_list/", query, VIDEO_PAGE):
                times = [time_or_none(parse_epoch_seconds, v, "create_time") for v in videos]
                unread: list = []
                for video, t in zip(videos, times):
                    if not isinstance(video, dict):
                        # Not an object: passed on, so that normalisation quarantines it with the reason.
                        raw.records["post_metrics"].append(RawRecord(video, ctx | owner))
                        raw.records["posts"].append(RawRecord(video, owner))
                        continue
                    if t is not None and not track_start <= t < end:
                        continue
                    item_id = video.get("item_id") if isinstance(video.get("item_id"), str) else ""
                    if t is not None and item_id and item_id not in item_data:
                        item_data[item_id] = self._data("/data/external/item/base/",
                                                        query | {"item_id": item_id}).get("result")
                    # Every item is passed on, repeats included: landing counts and drops
                    # duplicates on the natural key, so the accounting sees them.
                    raw.records["post_metrics"].append(
                        RawRecord(video | {ITEM_BASE: item_data.get(item_id)}, ctx | owner))
                    if t is None or t >= look_start:
                        raw.records["posts"].append(RawRecord(video, owner))
                    if t is not None and item_id and item_id not in comments_read:
                        comments_read.add(item_id)
                        unread.append(item_id)
                # The page's comment threads are read side by side, and kept in the page's order.
                for comments in self.http.map(
                        lambda item_id: self._comments_on(item_id, query, owner, look_start, end), unread):
                    raw.records["comments"] += comments
                # Pinned videos come first whatever their age: only the others say how far back a page is.
                known = [t for v, t in zip(videos, times)
                         if t is not None and not (isinstance(v, dict) and v.get("is_top"))]
                if not videos or (known and min(known) < track_start):
                    break

            for fans_page in self._pages("/fans/list/", query, FANS_PAGE):
                raw.records["audience"] += [RawRecord(f, ctx | {"followed_open_id": open_id}) for f in fans_page]
        return raw

    def _comments_on(self, item_id: str, query: dict, owner: dict, look_start: datetime,
                     end: datetime) -> list[RawRecord]:
        """Comments and replies on one video written in the lookback window. A reply in the window
        can answer an older comment, so every top-level comment of the (young) video is read;
        replies are asked for only where a comment has some, newest first, until they are older
        than the window."""
        out: list[RawRecord] = []
        ctx = owner | {"item_id": item_id}
        replies_read: set[str] = set()
        for page in self._pages("/item/comment/list/", query | {"item_id": item_id}, COMMENT_PAGE):
            for comment in page:
                t = time_or_none(parse_epoch_seconds, comment, "create_time")
                if t is None or look_start <= t < end:
                    out.append(RawRecord(comment, ctx))
                cid = comment.get("comment_id") if isinstance(comment, dict) else None
                if not isinstance(cid, str) or not cid or cid in replies_read or not _has_replies(comment):
                    continue
                replies_read.add(cid)
                reply_ctx = ctx | {"reply_to_comment_id": cid}
                for replies in self._pages("/item/comment/reply/list/", query | {"item_id": item_id, "comment_id": cid},
                                           COMMENT_PAGE):
                    times = [time_or_none(parse_epoch_seconds, r, "create_time") for r in replies]
                    out += [RawRecord(r, reply_ctx) for r, rt in zip(replies, times)
                            if rt is None or look_start <= rt < end]
                    known = [rt for rt in times if rt is not None]
                    if not replies or (known and min(known) < look_start):
                        break
        return out


def _has_replies(comment: dict) -> bool:
    total = comment.get("reply_comment_total")
    if isinstance(total, int) and not isinstance(total, bool):
        return total > 0
    return True  # unknown or drifted: asking costs one call, not asking could lose a reply


CONNECTOR = DouyinConnector
