"""Instagram Graph API connector: the user node, its media edge, each media's
comments (replies nested) and the audience sample, paged by ``paging.cursors.after``
with a bearer token."""
from __future__ import annotations

from datetime import date

from ingestion.http import PlatformError, PlatformHttp
from ingestion.platforms.base import (
    EXPORT_DATE_PARAM, MAX_PAGES, RawDay, RawRecord, day_bounds, lookback_window_start, time_or_none,
    tracking_window_start,
)
from ingestion.platforms.instagram.normalize import parse_graph_time

API_VERSION = "v21.0"
USER_FIELDS = "id,username,followers_count,follows_count,media_count"
MEDIA_FIELDS = "id,caption,media_type,media_product_type,like_count,comments_count,permalink,timestamp"
COMMENT_FIELDS = "id,text,timestamp,username,from,like_count,replies{id,text,timestamp,username,from}"

_THROTTLE = {4, 17, 32, 613}  # app, user, page and custom rate limits
_AUTH = {102, 190, 2500}


class InstagramConnector:
    platform = "instagram"

    def __init__(self, http: PlatformHttp):
        self.http = http
        self._auth = {"Authorization": f"Bearer {http.settings.token}"}

    def _classify(self, status: int, body: object, headers) -> None:
        if isinstance(body, dict) and isinstance(body.get("error"), dict):
            err = body["error"]
            code = err.get("code")
            kind = ("throttle" if code in _THROTTLE else "auth" if code in _AUTH else
                    "transient" if code == 2 or err.get("is_transient") else "fatal")
            hint = " Issue a new long-lived token and set KOL_INSTAGRAM_ACCESS_TOKEN." if kind == "auth" else ""
            raise PlatformError(self.platform, kind, f"code {code}: {err.get('message')}{hint}")
        if status != 200 or not isinstance(body, dict):
            kind = "transient" if status == 429 or status >= 500 else "fatal"
            raise PlatformError(self.platform, kind, f"HTTP {status} without a Graph error body")

    def _get(self, path: str, **params: object) -> dict:
        try:
            _, body = self.http.get(f"/{API_VERSION}{path}", params=params, headers=self._auth,
                                    classify=self._classify)
        except PlatformError as exc:
            raise PlatformError(self.platform, exc.kind, f"{path} failed: {str(exc).split(': ', 1)[1]}") from None
        return body

    def _pages(self, path: str, **params: object):
        after = None
        for _ in range(MAX_PAGES):
            body = self._get(path, **params, **({"after": after} if after else {}))
            yield body.get("data") or []
            paging = body.get("paging") or {}
            # Follow the cursor, not paging.next: the next URL can carry the token.
            next_after = (paging.get("cursors") or {}).get("after")
            if not paging.get("next") or not next_after:
                return
            if next_after == after:
                raise PlatformError(self.platform, "fatal", f"{path} paging did not advance (after={after})")
            after = next_after
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
            raw.records["profiles"].append(RawRecord(self._get(f"/{uid}", fields=USER_FIELDS, **export), ctx))

            comments_read: set[str] = set()
            for page in self._pages(f"/{uid}/media", fields=MEDIA_FIELDS, limit=50, **export):
                times = [time_or_none(parse_graph_time, m, "timestamp") for m in page]
                unread: list[str] = []
                for media, t in zip(page, times):
                    if t is not None and not window_start <= t < end:
                        continue
                    # Repeats are passed on: landing counts and drops them on the natural key.
                    raw.records["post_metrics"].append(RawRecord(media, ctx | {"owner_id": uid}))
                    if t is None or t >= start:
                        raw.records["posts"].append(RawRecord(media, {"owner_id": uid}))
                    media_id = str(media.get("id") or "")
                    if t is not None and media_id and media_id not in comments_read:
                        comments_read.add(media_id)
                        unread.append(media_id)
                # The page's comment threads are read side by side, and kept in the page's order.
                for comments in self.http.map(lambda m: self._comments_on(m, uid, start, end, export), unread):
                    raw.records["comments"] += comments
                known = [t for t in times if t is not None]
                if not page or (known and min(known) < window_start):
                    break

            for page in self._pages(f"/{uid}/audience_sample", limit=100, **export):
                raw.records["audience"] += [RawRecord(f, ctx | {"followed_id": uid}) for f in page]
        return raw

    def _comments_on(self, media_id: str, owner_id: str, start, end, export: dict) -> list[RawRecord]:
        # Replies hang under their top-level comment, which may be older than the window:
        # read every top-level comment of a tracked media and keep what was written in the window.
        out = []
        ctx = {"media_id": media_id, "media_owner_id": owner_id}
        for page in self._pages(f"/{media_id}/comments", fields=COMMENT_FIELDS, limit=50, **export):
            for top in page:
                t = time_or_none(parse_graph_time, top, "timestamp")
                if t is None or start <= t < end:
                    out.append(RawRecord(top, ctx))
                replies = top.get("replies") if isinstance(top.get("replies"), dict) else {}
                for reply in replies.get("data") or []:
                    rt = time_or_none(parse_graph_time, reply, "timestamp")
                    if rt is None or start <= rt < end:
                        out.append(RawRecord(reply, ctx | {"parent_id": top.get("id")}))
        return out


CONNECTOR = InstagramConnector
