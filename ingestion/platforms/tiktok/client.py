"""TikTok API v2 connector: the Display API's ``user/info`` and ``video/list`` (epoch-ms
cursor, newest first, 20 a page) and the Research API's ``video/comment/list`` and
``user/followers`` (offset cursors), all with a bearer token in the header and the list
cursors in POST bodies.

Errors come in the v2 envelope, ``{"data": {}, "error": {"code": "<word>", "message",
"log_id"}}`` with a 4xx/5xx status, except for the throttle TikTok signals the marketing
API's way: HTTP 200 with ``{"code": 40100, "message", "request_id"}``.

Demo addition: ``open_id=<user>`` on ``user/info`` and ``video/list`` names the user the
call acts for. A real user token belongs to one user and TikTok ignores the parameter; a
real deployment runs one token per account.
"""
from __future__ import annotations

from datetime import date

from ingestion.http import PlatformError, PlatformHttp, quota_resets
from ingestion.platforms.base import (
    EXPORT_DATE_PARAM, MAX_PAGES, RawDay, RawRecord, day_bounds, lookback_window_start, time_or_none,
    tracking_window_start,
)
from ingestion.platforms.tiktok.normalize import tiktok_id
from ingestion.quirks import parse_epoch_seconds

USER_FIELDS = ("open_id,union_id,avatar_url,display_name,bio_description,profile_deep_link,is_verified,username,"
               "follower_count,following_count,likes_count,video_count")
VIDEO_FIELDS = ("id,create_time,cover_image_url,share_url,video_description,duration,height,width,title,embed_link,"
                "like_count,comment_count,share_count,view_count")
COMMENT_FIELDS = "id,video_id,text,like_count,reply_count,parent_comment_id,create_time"
VIDEO_PAGE = 20  # video/list's largest max_count
RESEARCH_PAGE = 100  # the Research API's largest max_count
OPEN_ID_PARAM = "open_id"  # demo addition, see the module docstring
# The real followers endpoint pages through every follower; the demo serves the day's audience
# sample. Reading more than this many a day would cost the account's history: it is a sample.
AUDIENCE_MAX = 1_000
QUOTA_TZ = "UTC"  # the Research API's daily quota resets at midnight UTC

_AUTH = {"access_token_invalid", "access_token_expired", "scope_not_authorized", "scope_permission_missed"}
_THROTTLE = {"rate_limit_exceeded", 40100}  # the v2 word, and the marketing API's code in HTTP 200 bodies
_TRANSIENT = {"internal_error"}
_QUOTA = {"daily_quota_limit_exceeded"}


class TikTokConnector:
    platform = "tiktok"

    def __init__(self, http: PlatformHttp):
        self.http = http
        self._auth = {"Authorization": f"Bearer {http.settings.token}"}

    # ------------------------------------------------------------------ one call, classified

    def _call(self, method: str, path: str, day: date, body: dict | None = None, **params: object) -> dict:
        """One call; its ``data``. ``PlatformHttp`` retries what ``_classify`` calls a throttle
        or a transient fault, the 40100 in HTTP 200 bodies included."""
        query = {EXPORT_DATE_PARAM: day.isoformat(), **params}
        try:
            _, answer = self.http.request(method, path, params=query, headers=self._auth, json=body,
                                          classify=self._classify)
        except PlatformError as exc:
            detail = str(exc).split(": ", 1)[-1]
            raise PlatformError(self.platform, exc.kind, f"{path} failed: {detail}",
                                retry_after=exc.retry_after) from None
        return answer["data"]

    def _classify(self, status: int, body: object, headers) -> None:
        code, message = None, None
        if isinstance(body, dict) and isinstance(body.get("error"), dict):
            code, message = body["error"].get("code"), body["error"].get("message")
            if code == "ok":
                code = None
        elif isinstance(body, dict) and isinstance(body.get("code"), int) and body["code"] != 0:
            code, message = body["code"], body.get("message")  # the marketing API's envelope
        if code is not None:
            kind = ("auth" if code in _AUTH else "throttle" if code in _THROTTLE else
                    "transient" if code in _TRANSIENT else "quota" if code in _QUOTA else
                    "transient" if status >= 500 else "fatal")
            text = f"HTTP {status}, code {code}: {str(message or '').rstrip('.')}."
            if kind == "auth":
                text += (" Refresh the user's access token (TikTok's expire after 24 hours; POST "
                         "/v2/oauth/token/ with the refresh token) and set KOL_TIKTOK_ACCESS_TOKEN.")
            elif kind == "quota":
                text += f" The Research API's daily request quota is used up: {quota_resets(QUOTA_TZ)}."
            raise PlatformError(self.platform, kind, text)
        if status != 200 or not isinstance(body, dict) or not isinstance(body.get("data"), dict):
            kind = "throttle" if status == 429 else "transient" if status >= 500 else "fatal"
            raise PlatformError(self.platform, kind, f"HTTP {status} without a TikTok data body")

    def _list(self, data: dict, key: str, path: str) -> list[dict]:
        items = data.get(key)
        if items is None:
            return []
        if not isinstance(items, list):
            raise PlatformError(self.platform, "fatal", f"{path} answered a {key} that is not a list")
        return [i for i in items if isinstance(i, dict)]

    def _offset_pages(self, path: str, key: str, day: date, body: dict, fields: str | None = None):
        """The Research API's offset cursor: yields each page's items until has_more is false."""
        cursor = 0
        for _ in range(MAX_PAGES):
            params = {"fields": fields} if fields else {}
            data = self._call("POST", path, day, {**body, "max_count": RESEARCH_PAGE, "cursor": cursor}, **params)
            items = self._list(data, key, path)
            yield items
            if not data.get("has_more"):
                return
            following = _int_or_none(data.get("cursor"))
            if following is None or following <= cursor:
                raise PlatformError(self.platform, "fatal", f"{path} paging did not advance (cursor {cursor})")
            cursor = following
        raise PlatformError(self.platform, "fatal", f"{path} returned more than {MAX_PAGES} pages")

    # ------------------------------------------------------------------ the day

    def pull_day(self, account_ids: list[str], day: date) -> RawDay:
        raw = RawDay(self.platform, day)
        _, end = day_bounds(day)
        window_start = tracking_window_start(day)
        lookback_start = lookback_window_start(day)
        ctx = {"snapshot_date": day.isoformat()}
        for open_id in account_ids:
            owner = {"open_id": open_id}
            user = self._call("GET", "/v2/user/info/", day, fields=USER_FIELDS, **{OPEN_ID_PARAM: open_id}).get("user")
            if not isinstance(user, dict):
                raise PlatformError(self.platform, "fatal", f"/v2/user/info/ answered no user for {open_id}")
            raw.records["profiles"].append(RawRecord(user, ctx | owner))

            comments_read: set[str] = set()
            for videos in self._videos(open_id, day):
                times = [time_or_none(parse_epoch_seconds, v, "create_time") for v in videos]
                unread: list = []
                for video, t in zip(videos, times):
                    if t is not None and not window_start <= t < end:
                        continue
                    # Repeats are passed on: landing counts them and drops them on the natural key.
                    raw.records["post_metrics"].append(RawRecord(video, ctx | owner))
                    if t is None or t >= lookback_start:
                        raw.records["posts"].append(RawRecord(video, owner))
                    video_id = video.get("id")
                    if t is not None and video_id is not None and str(video_id) not in comments_read:
                        comments_read.add(str(video_id))
                        unread.append(video_id)
                # The page's comment threads are read side by side, and kept in the page's order.
                for comments in self.http.map(
                        lambda video_id: self._comments_on(video_id, open_id, day, lookback_start, end), unread):
                    raw.records["comments"] += comments
                known = [t for t in times if t is not None]
                # Newest first: once a page reaches before the tracking window, older pages cannot matter.
                if known and min(known) < window_start:
                    break

            username = user.get("username")
            if not isinstance(username, str) or not username:
                raise PlatformError(self.platform, "fatal", f"/v2/user/info/ gave no username for {open_id}; "
                                                            "the followers endpoint needs it")
            followers = 0
            for page in self._offset_pages("/v2/research/user/followers/", "user_followers", day,
                                           {"username": username}):
                raw.records["audience"] += [RawRecord(f, ctx | {"open_id": open_id}) for f in page]
                followers += len(page)
                if followers >= AUDIENCE_MAX:
                    break
        return raw

    def _videos(self, open_id: str, day: date):
        """video/list pages, newest first; the cursor is the last video's creation time in ms."""
        path = "/v2/video/list/"
        cursor: int | None = None
        for _ in range(MAX_PAGES):
            body = {"max_count": VIDEO_PAGE, **({"cursor": cursor} if cursor is not None else {})}
            data = self._call("POST", path, day, body, fields=VIDEO_FIELDS, **{OPEN_ID_PARAM: open_id})
            videos = self._list(data, "videos", path)
            yield videos
            # An empty page is not the end while has_more says otherwise: rows the platform
            # holds back (published late) leave a page short or empty.
            if not data.get("has_more"):
                return
            following = _int_or_none(data.get("cursor"))
            if following is None or (cursor is not None and following >= cursor):
                raise PlatformError(self.platform, "fatal", f"{path} paging did not advance (cursor {cursor})")
            cursor = following
        raise PlatformError(self.platform, "fatal", f"{path} returned more than {MAX_PAGES} pages")

    def _comments_on(self, video_id: object, open_id: str, day: date, start, end) -> list[RawRecord]:
        """Comments and replies written in [start, end) on one video. The list is oldest first
        and has no time filter, and a video is only tracked for 7 days, so every page is read."""
        try:
            vid = int(tiktok_id(video_id, "video"))  # the Research API takes the id as an int64
        except ValueError:
            return []  # the video itself is quarantined by its normaliser, with the reason
        ctx = {"open_id": open_id, "video_id": str(vid)}
        out = []
        for page in self._offset_pages("/v2/research/video/comment/list/", "comments", day, {"video_id": vid},
                                       fields=COMMENT_FIELDS):
            for c in page:
                t = time_or_none(parse_epoch_seconds, c, "create_time")
                if t is None or start <= t < end:
                    out.append(RawRecord(c, ctx))
        return out


def _int_or_none(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


CONNECTOR = TikTokConnector
