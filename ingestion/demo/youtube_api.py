"""Demo YouTube Data API v3 (``/youtube/v3/...``): Google's resource shapes
(``kind``, ``etag``, ``pageInfo``, ``items``), statistics as **strings**, subscriber
counts rounded down to three significant digits, ISO-8601 ``Z`` times and
durations (``PT4M13S``), ``nextPageToken`` → ``pageToken`` paging with no token on
the last page, ``part`` selection, ``key=`` or ``Authorization: Bearer`` auth and
Google's ``{"error": {"code", "message", "errors": [{"message", "domain",
"reason"}], "status"}}`` error envelope.

Served (``docs/demo-api/youtube.md`` has the details):
``channels``, ``playlistItems`` (the uploads playlist ``UU...``), ``search``
(``channelId`` + ``type=video`` + ``order=date``), ``videos``, ``commentThreads``
and ``subscriptions`` (``mySubscribers=true``, for the audience sample).

Real behaviour reproduced from Google's reference: list filters, part names,
``maxResults`` ranges, error reasons (``unknownPart``, ``invalidPageToken``,
``playlistNotFound``, ``videoNotFound``, ``quotaExceeded``, ``authError``).
Page tokens are protobuf-shaped like the real ones (``CAUQAA`` = offset 5); that
they encode an offset is community knowledge. Demo additions: the
``export_date`` parameter; ``onBehalfOfContentOwnerChannel`` choosing whose
subscribers ``mySubscribers`` lists (the demo credential stands for a content
owner that manages every channel of the roster); the ``subscriberStatistics``
part and ``subscriberSnippet.publishedAt`` (the profile signals a fake-follower
model needs, which the real API only gives through one ``channels.list`` per
subscriber, or not at all for ``subscriptionCount``). The 400 for more than 50
``videos.list`` ids is real; its reason string is a plausible guess.
"""
from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
from datetime import date, datetime, timedelta, timezone
from typing import Callable

from ingestion.demo.api_common import (
    BadRequest, FaultDialect, Platform, Request, Response, decode_cursor, dig, encode_cursor, end_of, export_day,
    iso_time_param,
)
from ingestion.demo.world import TRACKING_DAYS, WORLD_EPOCH, Comment, Follower, Kol, Post, World, day_ordinal

PREFIX = "/youtube/v3/"
DEFAULT_AVATAR = "https://yt3.ggpht.com/a/default-user=s88-c-k-c0x00ffffff-no-rj"
_CATEGORY = {"beauty": "26", "fashion": "26", "food": "26", "travel": "19", "tech": "28", "gaming": "20",
             "finance": "27", "parenting": "22", "fitness": "17"}
_QUOTA_MESSAGE = ('The request cannot be completed because you have exceeded your '
                  '<a href="/youtube/v3/getting-started#quota">quota</a>.')


class YouTubeError(Exception):
    """An error YouTube answers with: HTTP status, message, and the ``errors[0]`` fields."""

    def __init__(self, http_status: int, message: str, reason: str, domain: str = "global",
                 headers: dict[str, str] | None = None, **extra: object):
        super().__init__(message)
        self.status, self.message, self.headers = http_status, message, headers or {}
        self.extra = {"reason": reason, "domain": domain, **extra}


# --------------------------------------------------------------------------- formats

def yt_time(ts: datetime) -> str:
    return ts.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_duration(seconds: int) -> str:
    """ISO-8601 durations as YouTube writes them: PT4M13S, PT1H, and P0D for none (a live stream on air)."""
    if seconds <= 0:
        return "P0D"
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return "PT" + (f"{h}H" if h else "") + (f"{m}M" if m else "") + (f"{s}S" if s else "")


def rounded_subscribers(n: int) -> int:
    # Public subscriber counts are rounded down to three significant digits above 1,000.
    if n < 1000:
        return n
    step = 10 ** (len(str(n)) - 3)
    return n // step * step


def display_count(n: int) -> str:
    """What YouTube's pages show for a count (12345 -> "12K", 1234567 -> "1.2M"): a drifting API's string."""
    for unit, size in (("B", 10**9), ("M", 10**6), ("K", 10**3)):
        if n >= size:
            value = n / size
            return (f"{value:.1f}".removesuffix(".0") if value < 10 else str(int(value))) + unit
    return str(n)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _digest(text: str, size: int) -> bytes:
    return hashlib.blake2b(text.encode(), digest_size=size).digest()


def etag(obj: object) -> str:
    # A hash of the content: the same resource keeps its etag until something in it changes.
    return _b64(_digest(json.dumps(obj, sort_keys=True, ensure_ascii=False), 20))[:27]


def page_token(offset: int, previous: bool = False) -> str:
    """Protobuf-shaped like YouTube's tokens: field 1 the offset, field 2 the direction ("CAUQAA" = 5, next)."""
    varint, n = bytearray(), offset
    while True:
        byte, n = n & 0x7F, n >> 7
        varint.append(byte | (0x80 if n else 0))
        if not n:
            break
    return _b64(b"\x08" + bytes(varint) + b"\x10" + (b"\x01" if previous else b"\x00"))


def _token_offset(token: str | None) -> int:
    if not token:
        return 0
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        if raw[0] != 0x08 or raw[-2:] not in (b"\x10\x00", b"\x10\x01"):
            raise ValueError(token)
        offset, shift = 0, 0
        for byte in raw[1:-2]:
            offset |= (byte & 0x7F) << shift
            shift += 7
        if page_token(offset, raw[-1] == 1) != token:
            raise ValueError(token)
        return offset
    except (ValueError, IndexError):
        raise _invalid_page_token() from None


def _invalid_page_token() -> YouTubeError:
    return YouTubeError(400, "The request specifies an invalid page token.", "invalidPageToken",
                        "youtube.parameter", location="pageToken", location_type="parameter")


def _thumbs(url_of: Callable[[str], str]) -> dict:
    return {name: {"url": url_of(name), "width": w, "height": h}
            for name, w, h in (("default", 120, 90), ("medium", 320, 180), ("high", 480, 360))}


def _video_thumbs(video_id: str) -> dict:
    files = {"default": "default", "medium": "mqdefault", "high": "hqdefault"}
    return _thumbs(lambda name: f"https://i.ytimg.com/vi/{video_id}/{files[name]}.jpg")


def _avatar_thumbs(url: str | None) -> dict:
    url = url or DEFAULT_AVATAR
    return {name: {"url": url, "width": size, "height": size}
            for name, size in (("default", 88), ("medium", 240), ("high", 800))}


def _html(text: str) -> str:
    # textDisplay is HTML; YouTube escapes apostrophes as &#39;.
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("'", "&#39;"))


# --------------------------------------------------------------------------- request plumbing

def _parts(req: Request, allowed: tuple[str, ...]) -> set[str]:
    raw = req.params.get("part")
    if not raw:
        raise YouTubeError(400, "Required parameter: part", "required", location="part", location_type="parameter")
    parts = [p.strip() for p in raw.split(",") if p.strip()]
    for p in parts:
        if p not in allowed:
            raise YouTubeError(400, f"'{p}'", "unknownPart", "youtube.part", location="part", location_type="parameter")
    return set(parts)


def _max_results(req: Request, default: int, low: int, high: int) -> int:
    raw = req.params.get("maxResults")
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise YouTubeError(400, f"Invalid value '{raw}'. Values must be within the range: [{low}, {high}]",
                           "invalidParameter", "global", location="maxResults", location_type="parameter")
    return value


def _rfc3339(req: Request, name: str) -> datetime | None:
    try:
        return iso_time_param(req, name)
    except ValueError:
        raw = req.params.get(name)
        raise YouTubeError(400, f"Invalid value '{raw}'. Value must be an RFC 3339 date-time.", "invalidParameter",
                           "global", location=name, location_type="parameter") from None


def _no_filter(expected: str) -> YouTubeError:
    return YouTubeError(400, f"No filter selected. Expected one of: {expected}", "missingRequiredParameter",
                        "youtube.parameter")


def _authorize(api: Platform, req: Request) -> str:
    """How the request authenticated: "oauth" or "key"."""
    auth = req.headers.get("authorization", "")
    token = auth[len("Bearer "):].strip() if auth.startswith("Bearer ") else req.params.get("access_token")
    if token is not None:
        if token != api.token:
            raise YouTubeError(
                401, "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie "
                     "or other valid authentication credential. See "
                     "https://developers.google.com/identity/sign-in/web/devconsole-project.",
                "authError", detail="Invalid Credentials", location="Authorization", location_type="header",
                status="UNAUTHENTICATED", headers=dict(_EXPIRED_HEADERS))
        return "oauth"
    key = req.params.get("key")
    if key is None:
        raise YouTubeError(403, "The request is missing a valid API key.", "forbidden", status="PERMISSION_DENIED")
    if key != api.token:
        raise YouTubeError(400, "API key not valid. Please pass a valid API key.", "badRequest",
                           status="INVALID_ARGUMENT", details=[{
                               "@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID",
                               "domain": "googleapis.com", "metadata": {"service": "youtube.googleapis.com"}}])
    return "key"


_EXPIRED_HEADERS = {"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/", error="invalid_token"'}


# --------------------------------------------------------------------------- resources

def _channel_kol(world: World, channel_id: str | None) -> Kol | None:
    kol = world.kol(channel_id or "")
    return kol if kol is not None and kol.platform == "youtube" else None


def _uploads_id(kol: Kol) -> str:
    return "UU" + kol.account_id[2:]


def _channel_description(kol: Kol) -> str:
    return f"New {kol.niche} videos every week. Business enquiries: see the About tab."


def _channel(api: Platform, kol: Kol, day: date, parts: set[str]) -> dict:
    t = max(0, day_ordinal(day))
    views = kol.start_followers * 35
    item: dict = {"kind": "youtube#channel", "id": kol.account_id}
    if "snippet" in parts:
        item["snippet"] = {
            "title": kol.handle, "description": _channel_description(kol), "customUrl": "@" + kol.handle.lower(),
            "publishedAt": yt_time(kol.created_at),
            "thumbnails": _avatar_thumbs(f"https://yt3.ggpht.com/{kol.account_id}"),
            "localized": {"title": kol.handle, "description": _channel_description(kol)}, "country": "US",
        }
    if "contentDetails" in parts:
        item["contentDetails"] = {"relatedPlaylists": {"likes": "", "uploads": _uploads_id(kol)}}
    if "statistics" in parts:
        item["statistics"] = {
            "viewCount": str(views + int(views * 0.003 * t)),  # grows every day, never falls
            "subscriberCount": str(rounded_subscribers(api.world.followers_on(kol, day))),
            "hiddenSubscriberCount": False,
            "videoCount": str(api.world.posts_count_on(kol, day)),
        }
    return {"kind": item.pop("kind"), "etag": etag(item), **item}


def _live_state(post: Post, as_of: datetime) -> str:
    if post.media_type != "LIVE":
        return "none"
    return "live" if post.created_at + timedelta(seconds=post.duration_s) > as_of else "none"


def _video(api: Platform, post: Post, kol: Kol, as_of: datetime, parts: set[str]) -> dict:
    live = _live_state(post, as_of)
    item: dict = {"id": post.post_id}
    if "snippet" in parts:
        item["snippet"] = {
            "publishedAt": yt_time(post.created_at), "channelId": kol.account_id, "title": post.title,
            "description": post.text, "thumbnails": _video_thumbs(post.post_id), "channelTitle": kol.handle,
            "tags": [post.topic, kol.niche] if post.topic != kol.niche else [post.topic],
            "categoryId": _CATEGORY.get(post.topic, "22"), "liveBroadcastContent": live,
            "defaultAudioLanguage": "en", "localized": {"title": post.title, "description": post.text},
        }
    if "contentDetails" in parts:
        item["contentDetails"] = {
            "duration": iso_duration(0 if live == "live" else post.duration_s), "dimension": "2d",
            "definition": "hd", "caption": "false", "licensedContent": True, "contentRating": {},
            "projection": "rectangular",
        }
    if "status" in parts:
        item["status"] = {"uploadStatus": "processed", "privacyStatus": "public", "license": "youtube",
                          "embeddable": True, "publicStatsViewable": True, "madeForKids": False}
    if "statistics" in parts:
        c = api.world.counters(post, as_of)
        item["statistics"] = {"viewCount": str(c.views), "likeCount": str(c.likes), "favoriteCount": "0",
                              "commentCount": str(c.comments)}
    if "paidProductPlacementDetails" in parts:
        item["paidProductPlacementDetails"] = {"hasPaidProductPlacement": post.sponsored}
    if "liveStreamingDetails" in parts and post.media_type == "LIVE":
        details = {"actualStartTime": yt_time(post.created_at),
                   "scheduledStartTime": yt_time(post.created_at - timedelta(minutes=10))}
        if live == "live":
            details["concurrentViewers"] = str(max(1, api.world.counters(post, as_of).views // 20))
        else:
            details["actualEndTime"] = yt_time(post.created_at + timedelta(seconds=post.duration_s))
        item["liveStreamingDetails"] = details
    return {"kind": "youtube#video", "etag": etag(item), **item}


def _uploads(api: Platform, kol: Kol, day: date, need: int, after: datetime | None = None,
             before: datetime | None = None, q: str | None = None) -> tuple[list[Post], bool]:
    """The channel's videos, newest first, ``need`` of them at most; and whether older ones remain.

    Walks back one day at a time from the export day, only as far as the page asks."""
    out: list[Post] = []
    d = min(day, before.date()) if before else day
    stop = max(WORLD_EPOCH, after.date()) if after else WORLD_EPOCH
    needle = q.lower() if q else None
    while d >= stop:
        for p in reversed(api.world.posts_created_on(kol, d)):
            if (after and p.created_at < after) or (before and p.created_at >= before):
                continue
            if needle and needle not in p.title.lower() and needle not in p.text.lower():
                continue
            out.append(p)
            if len(out) > need:
                return out[:need], True
        d -= timedelta(days=1)
    return out, False


def _list_body(kind: str, items: list[dict], offset: int, limit: int, more: bool, total: int,
               extra: dict | None = None) -> dict:
    body: dict = {"kind": kind, "etag": etag([i["etag"] for i in items])}
    if more:
        body["nextPageToken"] = page_token(offset + limit)
    if offset > 0:
        body["prevPageToken"] = page_token(max(0, offset - limit), previous=True)
    body.update(extra or {})
    body["pageInfo"] = {"totalResults": total, "resultsPerPage": limit}
    body["items"] = items
    return body


def _channels(api: Platform, req: Request, day: date, auth: str) -> dict:
    parts = _parts(req, ("id", "snippet", "statistics", "contentDetails"))
    if "id" in req.params:
        ids = [i.strip() for i in req.params["id"].split(",") if i.strip()]
    elif "forHandle" in req.params:
        handle = req.params["forHandle"].removeprefix("@").lower()
        ids = [k.account_id for k in api.world.kols("youtube") if k.handle.lower() == handle]
    else:
        raise _no_filter("forUsername, mine, managedByMe, categoryId, forHandle, id")
    kols = [k for k in (_channel_kol(api.world, i) for i in ids[:50]) if k is not None]
    items = [_channel(api, k, day, parts) for k in kols]
    body: dict = {"kind": "youtube#channelListResponse", "etag": etag([i["etag"] for i in items]),
                  "pageInfo": {"totalResults": len(items), "resultsPerPage": 5}}
    if items:  # YouTube leaves "items" out altogether when nothing matches
        body["items"] = items
    return body


def _playlist_items(api: Platform, req: Request, day: date, auth: str) -> dict:
    parts = _parts(req, ("id", "snippet", "contentDetails", "status"))
    playlist_id = req.params.get("playlistId")
    if not playlist_id:
        raise _no_filter("id, playlistId")
    kol = _channel_kol(api.world, "UC" + playlist_id[2:]) if playlist_id.startswith("UU") else None
    if kol is None:
        raise YouTubeError(404, "The playlist identified with the request's <code>playlistId</code> parameter "
                                "cannot be found.", "playlistNotFound", "youtube.playlistItem",
                           location="playlistId", location_type="parameter")
    limit = _max_results(req, 5, 0, 50)
    offset = _token_offset(req.params.get("pageToken"))
    posts, more = _uploads(api, kol, day, offset + limit)
    items = []
    for position, p in enumerate(posts[offset:], start=offset):
        item: dict = {"id": _b64(f"{playlist_id}.{p.post_id}".encode())}
        if "snippet" in parts:
            item["snippet"] = {
                "publishedAt": yt_time(p.created_at), "channelId": kol.account_id, "title": p.title,
                "description": p.text, "thumbnails": _video_thumbs(p.post_id), "channelTitle": kol.handle,
                "playlistId": playlist_id, "position": position,
                "resourceId": {"kind": "youtube#video", "videoId": p.post_id},
                "videoOwnerChannelTitle": kol.handle, "videoOwnerChannelId": kol.account_id,
            }
        if "contentDetails" in parts:
            item["contentDetails"] = {"videoId": p.post_id, "videoPublishedAt": yt_time(p.created_at)}
        if "status" in parts:
            item["status"] = {"privacyStatus": "public"}
        items.append({"kind": "youtube#playlistItem", "etag": etag(item), **item})
    return _list_body("youtube#playlistItemListResponse", items, offset, limit, more and limit > 0,
                      api.world.posts_count_on(kol, day))


def _search(api: Platform, req: Request, day: date, auth: str) -> dict:
    parts = _parts(req, ("id", "snippet"))
    kol = _channel_kol(api.world, req.params.get("channelId"))
    if req.params.get("type", "video") != "video":
        kol = None  # the demo's channels upload only videos: channel and playlist results are empty
    limit = _max_results(req, 5, 0, 50)
    offset = _token_offset(req.params.get("pageToken"))
    after, before = _rfc3339(req, "publishedAfter"), _rfc3339(req, "publishedBefore")
    posts, more, total = [], False, 0
    if kol is not None:
        posts, more = _uploads(api, kol, day, offset + limit, after, before, req.params.get("q"))
        # Like the real totalResults, an estimate unless the whole result fitted.
        total = len(posts) if not more else max(len(posts), api.world.posts_count_on(kol, day))
    as_of = end_of(day)
    items = []
    for p in posts[offset:]:
        item: dict = {"id": {"kind": "youtube#video", "videoId": p.post_id}}
        if "snippet" in parts:
            item["snippet"] = {
                "publishedAt": yt_time(p.created_at), "channelId": p.account_id, "title": p.title,
                "description": p.text, "thumbnails": _video_thumbs(p.post_id), "channelTitle": kol.handle,
                "liveBroadcastContent": _live_state(p, as_of), "publishTime": yt_time(p.created_at),
            }
        items.append({"kind": "youtube#searchResult", "etag": etag(item), **item})
    return _list_body("youtube#searchListResponse", items, offset, limit, more and limit > 0, total,
                      {"regionCode": "US"})


def _videos(api: Platform, req: Request, day: date, auth: str) -> dict:
    parts = _parts(req, ("id", "snippet", "statistics", "contentDetails", "status", "liveStreamingDetails",
                         "paidProductPlacementDetails"))
    if "id" not in req.params:
        raise _no_filter("chart, id, myRating")
    ids = [i.strip() for i in req.params["id"].split(",") if i.strip()]
    if len(ids) > 50:
        raise YouTubeError(400, "The request specifies an invalid filter parameter.", "invalidFilters",
                           "youtube.parameter", location="id", location_type="parameter")
    as_of = end_of(day)
    items = []
    for video_id in ids:  # in the order asked; ids that do not exist (yet) are left out
        post = api.world.post(video_id, "youtube")
        if post is not None and post.created_at <= as_of:
            items.append(_video(api, post, api.world.kol(post.account_id), as_of, parts))
    return {"kind": "youtube#videoListResponse", "etag": etag([i["etag"] for i in items]), "items": items,
            "pageInfo": {"totalResults": len(items), "resultsPerPage": len(items)}}


def _comment_thread_id(c: Comment) -> str:
    return "Ugx" + _b64(int(c.comment_id).to_bytes(8, "big") + _digest(c.comment_id, 4)) + "4AaABAg"


def _reply_id(parent: str, c: Comment) -> str:
    return f"{parent}.{_b64(int(c.comment_id).to_bytes(8, 'big'))}{_b64(_digest(c.comment_id, 9))[:11]}"


def _comment(c: Comment, comment_id: str, kol: Kol, plain: bool, parent: str | None = None) -> dict:
    author = c.author
    avatar = f"https://yt3.ggpht.com/{kol.account_id}" if author is None else (author.avatar_url or DEFAULT_AVATAR)
    snippet = {
        "channelId": kol.account_id, "videoId": c.post_id,
        "textDisplay": c.text if plain else _html(c.text), "textOriginal": c.text,
        "authorDisplayName": "@" + c.author_handle, "authorProfileImageUrl": avatar,
        "authorChannelUrl": f"http://www.youtube.com/@{c.author_handle.lower()}",
        "authorChannelId": {"value": c.author_id}, "canRate": True, "viewerRating": "none", "likeCount": 0,
        "publishedAt": yt_time(c.created_at), "updatedAt": yt_time(c.created_at),
    }
    if parent is not None:
        snippet["parentId"] = parent
    body = {"id": comment_id, "snippet": snippet}
    return {"kind": "youtube#comment", "etag": etag(body), **body}


def _comment_threads(api: Platform, req: Request, day: date, auth: str) -> dict:
    parts = _parts(req, ("id", "snippet", "replies"))
    video_id = req.params.get("videoId")
    if not video_id:
        raise _no_filter("allThreadsRelatedToChannelId, id, videoId")
    as_of = end_of(day)
    post = api.world.post(video_id, "youtube")
    if post is None or post.created_at > as_of:
        raise YouTubeError(404, 'The video identified by the <code><a href="/youtube/v3/docs/commentThreads/list'
                                '#videoId">videoId</a></code> parameter could not be found.', "videoNotFound",
                           "youtube.commentThread", location="videoId", location_type="parameter")
    kol = api.world.kol(post.account_id)
    limit = _max_results(req, 20, 1, 100)
    try:
        offset = decode_cursor(req.params.get("pageToken"))
    except BadRequest:
        raise _invalid_page_token() from None
    plain = req.params.get("textFormat") == "plainText"
    comments = api.world.comments_on(post, as_of)
    replies: dict[str, list[Comment]] = {}
    for c in comments:
        if c.reply_to_id is not None:
            replies.setdefault(c.reply_to_id, []).append(c)
    # order=time (the default): newest thread first. order=relevance is not modelled and answers the same.
    top = [c for c in reversed(comments) if c.reply_to_id is None]
    items = []
    for c in top[offset: offset + limit]:
        thread_id = _comment_thread_id(c)
        answers = replies.get(c.comment_id, [])
        item: dict = {"id": thread_id}
        if "snippet" in parts:
            item["snippet"] = {"channelId": kol.account_id, "videoId": post.post_id,
                               "topLevelComment": _comment(c, thread_id, kol, plain), "canReply": True,
                               "totalReplyCount": len(answers), "isPublic": True}
        if "replies" in parts and answers:
            item["replies"] = {"comments": [_comment(r, _reply_id(thread_id, r), kol, plain, thread_id)
                                            for r in answers]}
        items.append({"kind": "youtube#commentThread", "etag": etag(item), **item})
    body: dict = {"kind": "youtube#commentThreadListResponse", "etag": etag([i["etag"] for i in items])}
    if offset + limit < len(top):
        body["nextPageToken"] = encode_cursor(offset + limit)
    body["pageInfo"] = {"totalResults": len(items), "resultsPerPage": limit}
    body["items"] = items
    return body


def _subscribed_at(kol: Kol, f: Follower, as_of: datetime) -> datetime:
    # Not in the world: a stable moment after both accounts existed, never after the export.
    start = max(f.created_at, kol.created_at)
    span = max(1, int(min(timedelta(days=60), max(timedelta(0), as_of - start)).total_seconds()))
    return start + timedelta(seconds=int.from_bytes(_digest(kol.account_id + f.account_id, 4), "big") % span)


def _subscriptions(api: Platform, req: Request, day: date, auth: str) -> dict:
    parts = _parts(req, ("id", "snippet", "contentDetails", "subscriberSnippet", "subscriberStatistics"))
    if req.params.get("mySubscribers") != "true":
        raise _no_filter("channelId, id, mine, myRecentSubscribers, mySubscribers (the demo serves mySubscribers)")
    if auth != "oauth":
        raise YouTubeError(401, "Login Required.", "required", location="Authorization", location_type="header",
                           status="UNAUTHENTICATED")
    channel = req.params.get("onBehalfOfContentOwnerChannel")
    kol = _channel_kol(api.world, channel)
    if kol is None:
        raise YouTubeError(404, "The channel identified by the <code>onBehalfOfContentOwnerChannel</code> "
                                "parameter cannot be found.", "channelNotFound", "youtube.subscription",
                           location="onBehalfOfContentOwnerChannel", location_type="parameter")
    limit = _max_results(req, 5, 0, 50)
    offset = _token_offset(req.params.get("pageToken"))
    sample = api.world.audience_sample(kol, day)
    as_of = end_of(day)
    items = []
    for f in sample[offset: offset + limit]:
        item: dict = {"id": _b64(_digest(kol.account_id + f.account_id, 24))}
        if "snippet" in parts:
            item["snippet"] = {
                "publishedAt": yt_time(_subscribed_at(kol, f, as_of)), "title": kol.handle,
                "description": _channel_description(kol),
                "resourceId": {"kind": "youtube#channel", "channelId": kol.account_id},
                "channelId": f.account_id, "thumbnails": _avatar_thumbs(f"https://yt3.ggpht.com/{kol.account_id}"),
            }
        if "contentDetails" in parts:
            item["contentDetails"] = {"totalItemCount": api.world.posts_count_on(kol, day), "newItemCount": 0,
                                      "activityType": "all"}
        if "subscriberSnippet" in parts:
            item["subscriberSnippet"] = {"title": f.handle, "description": f.bio, "channelId": f.account_id,
                                         "thumbnails": _avatar_thumbs(f.avatar_url),
                                         "publishedAt": yt_time(f.created_at)}  # demo addition
        if "subscriberStatistics" in parts:  # demo addition: what channels.list would say of the subscriber
            item["subscriberStatistics"] = {"subscriberCount": str(rounded_subscribers(f.followers)),
                                            "videoCount": str(f.posts), "subscriptionCount": str(f.following)}
        items.append({"kind": "youtube#subscription", "etag": etag(item), **item})
    more = limit > 0 and offset + limit < len(sample)
    return _list_body("youtube#subscriptionListResponse", items, offset, limit, more,
                      api.world.followers_on(kol, day))


_ROUTES = {"channels": _channels, "playlistItems": _playlist_items, "search": _search, "videos": _videos,
           "commentThreads": _comment_threads, "subscriptions": _subscriptions}


def handle(api: Platform, req: Request) -> Response:
    try:
        auth = _authorize(api, req)
        route = _ROUTES.get(req.path[len(PREFIX):].strip("/")) if req.path.startswith(PREFIX) else None
        if route is None or req.method != "GET":
            raise YouTubeError(404, "Not Found", "notFound")
        try:
            day = export_day(req.params)
        except BadRequest as e:
            raise YouTubeError(400, e.message, "invalidParameter", location="export_date",
                               location_type="parameter") from None
        return Response(200, route(api, req, day, auth))
    except YouTubeError as e:
        return Response(e.status, error_envelope(req, e.status, e.message, **e.extra), dict(e.headers))


def error_envelope(req: Request, code: int, message: str, reason: str = "badRequest", domain: str = "global",
                   status: str | None = None, detail: str | None = None, location: str | None = None,
                   location_type: str = "parameter", details: list | None = None, **extra: object) -> dict:
    """Google's error body. ``code`` is the HTTP status; ``detail`` is ``errors[0].message`` where it
    differs from the top message; the fault injector (``faults.py``) renders its faults with it too."""
    err: dict = {"message": detail or message, "domain": domain, "reason": reason}
    if location is not None:
        err["location"], err["locationType"] = location, location_type
    body: dict = {"code": code, "message": message, "errors": [err]}
    if status is not None:
        body["status"] = status
    if details is not None:
        body["details"] = details
    return {"error": body | extra}


# --------------------------------------------------------------------------- faults

def _item_time(item: dict) -> datetime | None:
    for path in ("contentDetails.videoPublishedAt", "snippet.topLevelComment.snippet.publishedAt",
                 "snippet.publishedAt"):
        value = dig(item, path)
        if isinstance(value, str):
            try:
                return datetime.fromisoformat(value).astimezone(timezone.utc)
            except ValueError:
                return None
    return None


def _next_cursor(body: dict) -> str | None:
    return body.get("nextPageToken") or None


FAULT_DIALECT = FaultDialect(
    envelope=error_envelope,
    # YouTube has no throttle in a 200 body: its per-minute limit is HTTP 403 rateLimitExceeded
    # (usageLimits). The injector's throttle_in_200 puts that very body in a 200.
    throttle_codes={403: "Rate Limit Exceeded"},
    default_throttle=403,
    throttle_extra={"reason": "rateLimitExceeded", "domain": "usageLimits"},
    http_429=(429, "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute' of service "
                   "'youtube.googleapis.com' for consumer 'project_number:0'.",
              {"reason": "rateLimitExceeded", "status": "RESOURCE_EXHAUSTED"}),
    transient=(500, "Internal error encountered.", {"reason": "backendError", "status": "INTERNAL"}),
    expired=(401, "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or "
                  "other valid authentication credential. See "
                  "https://developers.google.com/identity/sign-in/web/devconsole-project.",
             {"reason": "authError", "detail": "Invalid Credentials", "location": "Authorization",
              "location_type": "header", "status": "UNAUTHENTICATED"}),
    expired_status=401,
    expired_headers=_EXPIRED_HEADERS,
    # The daily 10,000 units: fail fast, it resets at midnight Pacific time.
    quota=(403, 403, _QUOTA_MESSAGE, {"reason": "quotaExceeded", "domain": "youtube.quota"}),
    list_keys=("items",),
    cursor_params=("pageToken",),
    new_field=("topicDetails", {"topicCategories": ["https://en.wikipedia.org/wiki/Lifestyle_(sociology)"]}),
    # The statistics are strings already; the integers of comment threads and subscriptions can drift.
    count_fields=("statistics.viewCount", "statistics.likeCount", "statistics.commentCount",
                  "statistics.subscriberCount", "snippet.totalReplyCount", "snippet.topLevelComment.snippet.likeCount",
                  "contentDetails.totalItemCount"),
    display_count=display_count,
    # What really goes missing: likeCount (likes hidden), commentCount (comments off), tags; then parts that
    # come and go. The injector drops top-level keys only, so today the parts are what it drops.
    optional_fields=("statistics.likeCount", "statistics.commentCount", "snippet.tags", "liveStreamingDetails",
                     "paidProductPlacementDetails", "replies", "status", "subscriberStatistics"),
    item_time=_item_time,
    next_cursor=_next_cursor,
)


# --------------------------------------------------------------------------- YouTube Studio export

EXPORT_COLUMNS = ("Channel ID", "Channel", "Content", "Video title", "Video publish time", "Duration", "Views",
                  "Likes", "Comments added", "Shares")


def export_files(world: World, day: date) -> dict[str, bytes]:
    """YouTube Studio's Analytics "Content" table (``Table data.csv``), every channel of the world in one
    file: a ``Total`` row first as Studio writes it, then one row per video published in the last
    TRACKING_DAYS days, counters as of the end of ``day``."""
    as_of = end_of(day)
    rows = []
    for kol in world.kols("youtube"):
        for post in reversed(world.posts_between(kol, day - timedelta(days=TRACKING_DAYS - 1), day)):
            c = world.counters(post, as_of)
            rows.append([kol.account_id, kol.handle, post.post_id, post.title,
                         f"{post.created_at:%b} {post.created_at.day}, {post.created_at.year}",
                         post.duration_s, c.views, c.likes, c.comments, c.shares])
    totals = ["", "", "Total", "", "", "", *(sum(r[i] for r in rows) for i in range(6, 10))]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    writer.writerow(totals)
    writer.writerows(rows)
    return {f"youtube_studio_content_{day.isoformat()}.csv": out.getvalue().encode("utf-8")}
