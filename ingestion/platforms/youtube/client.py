"""YouTube Data API v3 connector: channels.list for the profiles (50 ids a call), the
uploads playlist (playlistItems, 1 quota unit a page, where search would cost 100) for
the ids of the week's videos, videos.list for their details and statistics (50 ids a
call), commentThreads with the channel's replies, and subscriptions?mySubscribers=true
for the audience sample. Authenticated with ``Authorization: Bearer`` (an OAuth access
token): an API key would have to travel in the URL, and cannot list subscribers anyway.

Errors come in Google's envelope, ``{"error": {"code", "message", "errors": [{"domain",
"reason"}]}}``; the daily quota and the per-minute limit are both HTTP 403, so ``reason``
decides, never the status.
"""
from __future__ import annotations

from datetime import date, datetime
from functools import partial
from typing import Iterator

from ingestion.http import PlatformError, PlatformHttp, quota_resets
from ingestion.platforms.base import (
    EXPORT_DATE_PARAM, MAX_PAGES, RawDay, RawRecord, day_bounds, lookback_window_start, time_or_none,
    tracking_window_start,
)
from ingestion.quirks import parse_count, parse_iso_time

PREFIX = "/youtube/v3"
BATCH = 50  # ids per channels.list / videos.list call, the API's maximum
PAGE_SIZE = 50  # playlistItems and subscriptions allow 0-50
THREADS_PAGE_SIZE = 100  # commentThreads allows 1-100
# mySubscribers lists every subscriber of a real channel, newest first: the audience sample is
# the first pages, not millions of rows a day (the demo serves a small sample anyway).
AUDIENCE_MAX = 1_000
QUOTA_TZ = "America/Los_Angeles"  # the daily 10,000 units come back at midnight Pacific time

CHANNEL_PARTS = "snippet,statistics,contentDetails"
VIDEO_PARTS = "snippet,contentDetails,statistics,paidProductPlacementDetails"
SUBSCRIBER_PARTS = "snippet,subscriberSnippet,subscriberStatistics"

_QUOTA = {"quotaExceeded", "dailyLimitExceeded"}
_THROTTLE = {"rateLimitExceeded", "userRateLimitExceeded"}
_AUTH = {"authError", "keyInvalid", "keyExpired", "forbidden", "insufficientPermissions", "accessNotConfigured",
         "ipRefererBlocked"}
_TRANSIENT = {"backendError", "internalError", "serviceUnavailable"}


class YouTubeApiError(PlatformError):
    """A PlatformError that keeps Google's ``reason``, so that callers can tell e.g.
    ``commentsDisabled`` (no comments to read) from a real failure."""

    def __init__(self, kind: str, reason: str, message: str):
        super().__init__("youtube", kind, message)
        self.reason = reason


def classify(status: int, body: object) -> tuple[str, str] | None:
    """None for data; else (kind, reason) of the error the answer carries, whatever its HTTP status."""
    err = body.get("error") if isinstance(body, dict) else None
    if isinstance(err, dict):
        errors = err.get("errors") if isinstance(err.get("errors"), list) else []
        first = errors[0] if errors and isinstance(errors[0], dict) else {}
        reason = str(first.get("reason") or err.get("status") or err.get("code") or "unknown")
        details = [d.get("reason") for d in err.get("details") or [] if isinstance(d, dict)]
        if reason in _QUOTA:
            return "quota", reason
        if reason in _THROTTLE or err.get("status") == "RESOURCE_EXHAUSTED" or status == 429:
            return "throttle", reason
        if first.get("domain") == "youtube.quota":
            return "quota", reason
        # 401 is a wrong, expired or missing OAuth token (authError, or "required": Login Required);
        # a wrong API key is a 400 badRequest that only its details name.
        if status == 401 or reason in _AUTH or "API_KEY_INVALID" in details:
            return "auth", reason
        if reason in _TRANSIENT or status >= 500:
            return "transient", reason
        return "fatal", reason
    if status == 429:
        return "throttle", "HTTP 429"
    if status >= 500:
        return "transient", f"HTTP {status}"
    if status != 200 or not isinstance(body, dict):
        return "fatal", f"HTTP {status}"
    return None


class YouTubeConnector:
    platform = "youtube"

    def __init__(self, http: PlatformHttp):
        self.http = http
        self._auth = {"Authorization": f"Bearer {http.settings.token}"}

    def _error(self, path: str, status: int, body: object, kind: str, reason: str) -> YouTubeApiError:
        err = body.get("error") if isinstance(body, dict) else None
        message = err.get("message") if isinstance(err, dict) else None
        text = f"{path} answered HTTP {status} {reason}" + (f": {message}" if message else "")
        if kind == "quota":
            text += f". The daily YouTube Data API quota is spent and no retry today helps: {quota_resets(QUOTA_TZ)}"
        elif kind == "auth":
            text += (". Renew KOL_YOUTUBE_ACCESS_TOKEN: an OAuth access token of the channel owner (or of the "
                     "content owner managing the roster's channels); access tokens expire after an hour")
        return YouTubeApiError(kind, reason, self.http.redact(text))

    def _classify(self, path: str, status: int, body: object, headers) -> None:
        # The shared session retries what this calls a throttle (a 403 rateLimitExceeded too, and
        # a throttle inside a 200) or transient; a quota, an auth error or a fatal one fails now.
        verdict = classify(status, body)
        if verdict is not None:
            raise self._error(path, status, body, *verdict)

    def _get(self, resource: str, **params: object) -> dict:
        path = f"{PREFIX}/{resource}"
        _, body = self.http.get(path, params=params, headers=self._auth, classify=partial(self._classify, path))
        return body

    def _pages(self, resource: str, **params: object) -> Iterator[list]:
        """nextPageToken paging; no token on the last page. Yields each page's items."""
        token, seen = None, set()
        for _ in range(MAX_PAGES):
            body = self._get(resource, **params, **({"pageToken": token} if token else {}))
            items = body.get("items") or []
            if not isinstance(items, list):
                raise YouTubeApiError("fatal", "items", f"{PREFIX}/{resource} answered items that are not a list")
            yield items
            next_token = body.get("nextPageToken")
            if not next_token:
                return
            if next_token in seen:
                raise YouTubeApiError("fatal", "paging", f"{PREFIX}/{resource} paging did not advance "
                                                         f"(pageToken {next_token} again)")
            seen.add(next_token)
            token = next_token
        raise YouTubeApiError("fatal", "paging", f"{PREFIX}/{resource} returned more than {MAX_PAGES} pages")

    def pull_day(self, account_ids: list[str], day: date) -> RawDay:
        raw = RawDay(self.platform, day)
        _, end = day_bounds(day)
        window_start, lookback = tracking_window_start(day), lookback_window_start(day)
        ctx = {"snapshot_date": day.isoformat()}
        export = {EXPORT_DATE_PARAM: day.isoformat()}
        account_ids = list(dict.fromkeys(account_ids))

        uploads: dict[str, str] = {}
        for batch in _chunks(account_ids, BATCH):
            body = self._get("channels", part=CHANNEL_PARTS, id=",".join(batch), **export)
            # An unknown id is no error: channels.list leaves it out (and "items" too when none is known).
            for channel in body.get("items") or []:
                raw.records["profiles"].append(RawRecord(channel, ctx))
                cid = channel.get("id")
                playlists = (channel.get("contentDetails") or {}).get("relatedPlaylists") or {}
                if isinstance(cid, str) and playlists.get("uploads"):
                    uploads.setdefault(cid, playlists["uploads"])
                elif isinstance(cid, str) and cid.startswith("UC"):
                    uploads.setdefault(cid, "UU" + cid[2:])  # every channel's uploads playlist is UU + its id
        unknown = [cid for cid in account_ids if cid not in uploads]
        if unknown:
            raise YouTubeApiError("fatal", "channelNotFound",
                                  f"channels.list does not know channel(s) {', '.join(unknown)}: check the roster")

        owner: dict[str, str] = {}  # video id -> channel, for the videos published inside the window
        for cid in account_ids:
            owner.update({vid: cid for vid in self._recent_uploads(uploads[cid], window_start, end, export)
                          if vid not in owner})

        to_read: dict[str, str] = {}  # video id -> channel, in the order read
        for batch in _chunks(list(owner), BATCH):
            body = self._get("videos", part=VIDEO_PARTS, id=",".join(batch), **export)
            # Ids that vanished since the playlist was read are left out, not refused.
            for video in body.get("items") or []:
                vid = video.get("id") if isinstance(video.get("id"), str) else ""
                vctx = {"channel_id": owner[vid]} if vid in owner else {}
                t = time_or_none(parse_iso_time, video.get("snippet") or {}, "publishedAt")
                if t is not None and not window_start <= t < end:
                    continue
                # Every item is passed on, repeats included: landing counts and drops duplicates.
                raw.records["post_metrics"].append(RawRecord(video, ctx | vctx))
                if t is None or t >= lookback:
                    raw.records["posts"].append(RawRecord(video, vctx))
                if t is not None and vid in owner and _may_have_comments(video):
                    to_read.setdefault(vid, owner[vid])
        # Each video's comment threads are read side by side, and kept in the order read.
        for comments in self.http.map(lambda v: self._comments_on(*v, lookback, end, export), to_read.items()):
            raw.records["comments"] += comments

        for cid in account_ids:
            fetched = 0
            for page in self._pages("subscriptions", part=SUBSCRIBER_PARTS, mySubscribers="true",
                                    onBehalfOfContentOwnerChannel=cid, maxResults=PAGE_SIZE, **export):
                raw.records["audience"] += [RawRecord(s, ctx | {"channel_id": cid}) for s in page]
                fetched += len(page)
                if fetched >= AUDIENCE_MAX:
                    break
        return raw

    def _recent_uploads(self, playlist_id: str, window_start: datetime, end: datetime, export: dict) -> list[str]:
        """Ids of the playlist's videos published inside the window; the list is newest first, so
        the walk stops at the first page that reaches back before the window."""
        ids = []
        for page in self._pages("playlistItems", part="contentDetails", playlistId=playlist_id,
                                maxResults=PAGE_SIZE, **export):
            times = []
            for item in page:
                details = item.get("contentDetails") or {}
                vid = details.get("videoId")
                if not isinstance(vid, str) or not vid:
                    raise YouTubeApiError("fatal", "videoId", f"playlistItems of {playlist_id} answered an item "
                                                              f"without contentDetails.videoId: {item.get('id')!r}")
                t = time_or_none(parse_iso_time, details, "videoPublishedAt")
                times.append(t)
                # Without a usable time the video is read anyway: videos.list's publishedAt decides.
                if t is None or window_start <= t < end:
                    ids.append(vid)
            known = [t for t in times if t is not None]
            if not page or (known and min(known) < window_start):
                break
        return list(dict.fromkeys(ids))  # a video seen twice across pages is one video to read

    def _comments_on(self, video_id: str, channel_id: str, lookback: datetime, end: datetime,
                     export: dict) -> list[RawRecord]:
        # Threads come newest first, but the channel's replies hang under their thread and can come
        # days later: every thread of a tracked video is read (the tracking window bounds them) and
        # what was written inside the lookback window is kept.
        out: list[RawRecord] = []
        ctx = {"video_id": video_id, "channel_id": channel_id}
        try:
            for page in self._pages("commentThreads", part="snippet,replies", videoId=video_id, order="time",
                                    textFormat="plainText", maxResults=THREADS_PAGE_SIZE, **export):
                for thread in page:
                    # The thread stands for its top-level comment (same id), with what only the thread
                    # says (totalReplyCount); one without a readable comment is passed on to be quarantined.
                    snippet = thread.get("snippet") if isinstance(thread.get("snippet"), dict) else {}
                    top = snippet.get("topLevelComment")
                    if not isinstance(top, dict) or _inside(top, lookback, end):
                        out.append(RawRecord(thread, ctx))
                    replies = thread.get("replies") if isinstance(thread.get("replies"), dict) else {}
                    for reply in replies.get("comments") or []:
                        if _inside(reply, lookback, end):
                            out.append(RawRecord(reply, ctx | {"parent_id": thread.get("id")}))
        except YouTubeApiError as exc:
            if exc.reason != "commentsDisabled":  # a video with comments turned off has none to read
                raise
        return out


def _inside(comment: dict, start: datetime, end: datetime) -> bool:
    t = time_or_none(parse_iso_time, comment.get("snippet") or {}, "publishedAt")
    return t is None or start <= t < end


def _may_have_comments(video: dict) -> bool:
    # A video without comments (as of the day's end) has no thread to read: skip the call. An
    # absent or unreadable commentCount (comments off, drift) says nothing, so read.
    try:
        return parse_count((video.get("statistics") or {}).get("commentCount"), "commentCount") != 0
    except (ValueError, AttributeError):
        return True


def _chunks(items: list, size: int) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i: i + size]


CONNECTOR = YouTubeConnector
