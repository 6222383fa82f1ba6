"""Demo TikTok API v2 (``open.tiktokapis.com/v2/...``): the Display API's user and
video endpoints, the Research API's comments and followers, bearer tokens, and
the ``{"data", "error": {"code", "message", "log_id"}}`` envelope.

Reproduced from the official documentation:

- ``Authorization: Bearer <token>``; a missing, wrong or expired token is HTTP 401
  ``access_token_invalid``. Bad parameters are HTTP 400 ``invalid_params``.
- ``fields`` is a required query parameter and only the fields named come back.
- ``POST /v2/video/list/``: JSON ``{"cursor", "max_count"}``; ``max_count`` at
  most 20 (default 10); ``cursor`` is epoch **milliseconds**: the page holds
  videos created before it, newest first, and ``data.cursor`` is the creation
  time (ms) of the page's last video; ``data.has_more`` is false on the last page.
- ``create_time`` is epoch seconds; counts are int64, except that a metric TikTok
  cannot give yet comes as the string ``"-"`` (here: a few videos' ``view_count``
  or ``share_count`` on some days, always the same ones for the same day).
- Research API comments: ``{"video_id", "max_count" (<= 100), "cursor"}``, an
  integer offset cursor, ``data.has_more``; ids are int64; a top-level comment's
  ``parent_comment_id`` is the video's id (*community*), a reply's is the comment
  it answers.

Deliberate choices:

- ids (video ``id``, comment ids, ``video_id``) are JSON int64 numbers, as
  ``shared/platforms.md`` has them; the real Display API types a video ``id`` as a
  string, so a connector should accept both.
- live streams are listed as their replay videos.

Demo additions (documented in ``docs/demo-api/tiktok.md``):

- ``open_id`` (query) on ``user/info``, ``video/list`` and ``video/query``: a real
  token belongs to one user; the demo's single token acts for the user named.
- ``export_date`` (query): the finished day whose end the answer describes.
- ``POST /v2/research/user/followers/`` is real (``{username, max_count, cursor}``
  -> ``data.user_followers[]{display_name, username}``), but serves the day's
  audience sample, and the demo adds profile fields to each follower
  (``avatar_url``, ``bio_description``, ``follower_count``, ``following_count``,
  ``video_count``, ``create_time``); its ``cursor`` is an integer offset.
- a follower without a picture has TikTok's default avatar (the
  ``1594805258216454`` image), as the real profile pages show it.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import date, datetime, timedelta, timezone

from ingestion.demo.api_common import (
    BadRequest, FaultDialect, Platform, Request, Response, end_of, export_day,
)
from ingestion.demo.world import TRACKING_DAYS, WORLD_EPOCH, Comment, Follower, Kol, Post, World

USER_FIELDS = ("open_id", "union_id", "avatar_url", "avatar_url_100", "avatar_large_url", "display_name",
               "bio_description", "profile_deep_link", "is_verified", "username", "follower_count",
               "following_count", "likes_count", "video_count")
VIDEO_FIELDS = ("id", "create_time", "cover_image_url", "share_url", "video_description", "duration", "height",
                "width", "title", "embed_html", "embed_link", "like_count", "comment_count", "share_count",
                "view_count")
COMMENT_FIELDS = ("id", "video_id", "text", "like_count", "reply_count", "parent_comment_id", "create_time")
DEFAULT_AVATAR = "https://p16-sign-va.tiktokcdn.com/musically-maliva-obj/1594805258216454~c5_720x720.jpeg"
MAX_VIDEOS = 20
MAX_RESEARCH = 100
HIDDEN_METRIC_SHARE = 0.06  # how often a video's view_count or share_count is "-" on a given day


class TikTokError(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _unit(*parts: object) -> float:
    return int.from_bytes(hashlib.blake2b(repr(parts).encode(), digest_size=8).digest(), "big") / 2**64


def _digest(req: Request) -> bytes:
    params = sorted((k, v) for k, v in req.params.items())
    key = json.dumps([req.method, req.path, params, req.json], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.blake2b(key.encode(), digest_size=16).digest()


def _log_id(req: Request) -> str:
    # Real log ids start with the server's time; here the end of the export day and a digest of the
    # request, so the same request gets the same bytes back.
    try:
        stamp = f"{date.fromisoformat(req.params['export_date']) + timedelta(days=1):%Y%m%d}"
    except (KeyError, ValueError):
        stamp = f"{WORLD_EPOCH:%Y%m%d}"
    h = _digest(req)
    seconds = int.from_bytes(h[:4], "big") % 86_400
    return f"{stamp}{seconds // 3600:02d}{seconds // 60 % 60:02d}{seconds % 60:02d}{h[4:13].hex().upper()}"


def error_envelope(req: Request, code: int | str, message: str, **extra: object) -> dict:
    """TikTok's error body. A string code is the v2 API's ``error`` object; an integer
    code is the marketing API's body (``40100`` throttles arrive that way, in HTTP 200).
    The fault injector (``faults.py``) renders its faults with it too."""
    if isinstance(code, int):
        request_id = str(10**18 + int.from_bytes(_digest(req)[:8], "big") % (9 * 10**18))
        return {"code": code, "message": message, "request_id": request_id, "data": {}, **extra}
    return {"data": {}, "error": {"code": code, "message": message, "log_id": _log_id(req), **extra}}


def _ok(req: Request, data: dict) -> Response:
    return Response(200, {"data": data, "error": {"code": "ok", "message": "", "log_id": _log_id(req)}})


# --------------------------------------------------------------------------- request helpers

def _fields(req: Request, allowed: tuple[str, ...]) -> list[str]:
    raw = req.params.get("fields", "")
    fields = [f.strip() for f in raw.split(",") if f.strip()]
    if not fields:
        raise TikTokError(400, "invalid_params", "The fields query parameter is required.")
    bad = [f for f in fields if f not in allowed]
    if bad:
        raise TikTokError(400, "invalid_params", f"Invalid fields: {','.join(bad)}")
    return fields


def _json(req: Request) -> dict:
    body = req.json if req.json is not None else {}
    if body.get("__invalid_json__"):
        raise TikTokError(400, "invalid_params", "The request body is not valid JSON.")
    return body


def _int(body: dict, name: str, default: int, low: int, high: int) -> int:
    raw = body.get(name, default)
    if raw is None:
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise TikTokError(400, "invalid_params", f"{name} must be an integer.") from None
    if isinstance(raw, bool) or not low <= value <= high:
        raise TikTokError(400, "invalid_params", f"{name} must be between {low} and {high}.")
    return value


def _kol(api: Platform, req: Request) -> Kol:
    open_id = req.params.get("open_id")
    if not open_id:
        raise TikTokError(400, "invalid_params", "open_id is required (demo: the user the token acts for).")
    kol = api.world.kol(open_id)
    if kol is None or kol.platform != "tiktok":
        raise TikTokError(400, "invalid_params", "The open_id does not exist or has not authorized this app.")
    return kol


# --------------------------------------------------------------------------- records

def _user(api: Platform, kol: Kol, day: date) -> dict:
    avatar = f"https://p16-sign-va.tiktokcdn.com/tos-maliva-avt-0068/{kol.account_id[4:20]}~c5_168x168.jpeg"
    videos = api.world.posts_count_on(kol, day)
    return {
        "open_id": kol.account_id,
        "union_id": "c" + hashlib.blake2b(kol.account_id.encode(), digest_size=16).hexdigest(),
        "avatar_url": avatar,
        "avatar_url_100": avatar.replace("168x168", "100x100"),
        "avatar_large_url": avatar.replace("168x168", "1080x1080"),
        "display_name": kol.handle.replace("_", " ").title(),
        "bio_description": f"{kol.niche} | new videos every week",
        "profile_deep_link": f"https://vm.tiktok.com/{kol.account_id[4:14]}/",
        "is_verified": kol.start_followers > 100_000,
        "username": kol.handle,
        "follower_count": api.world.followers_on(kol, day),
        "following_count": api.world.following_on(kol, day),
        # Likes received over the account's life: grows with its videos.
        "likes_count": int(videos * kol.start_followers * kol.engagement_rate),
        "video_count": videos,
    }


def _video_ms(api: Platform, post: Post) -> int:
    # Cursors are milliseconds: two videos of one second still sort, by their position in the day.
    decoded = api.world.ids.decode("tiktok", post.post_id)
    return int(post.created_at.timestamp()) * 1000 + (decoded[2] if decoded else 0)


def _metric(post: Post, day: date, name: str, value: int) -> int | str:
    return "-" if _unit("hidden", post.post_id, day, name) < HIDDEN_METRIC_SHARE else value


def _video(api: Platform, post: Post, kol: Kol, day: date) -> dict:
    c = api.world.counters(post, end_of(day))
    vid = int(post.post_id)
    return {
        "id": vid,
        "create_time": int(post.created_at.timestamp()),
        "cover_image_url": f"https://p16-sign-va.tiktokcdn.com/obj/tos-maliva-p-0068/{post.post_id}~tplv-noop.image",
        "share_url": f"https://www.tiktok.com/@{kol.handle}/video/{post.post_id}",
        "video_description": post.text,
        "duration": post.duration_s,
        "height": 1920,
        "width": 1080,
        "title": post.title,
        "embed_html": f'<blockquote class="tiktok-embed" cite="https://www.tiktok.com/@{kol.handle}/video/'
                      f'{post.post_id}" data-video-id="{post.post_id}"></blockquote>',
        "embed_link": f"https://www.tiktok.com/player/v1/{post.post_id}",
        "like_count": c.likes,
        "comment_count": c.comments,
        "share_count": _metric(post, day, "share_count", c.shares),
        "view_count": _metric(post, day, "view_count", c.views),
    }


def _select(record: dict, fields: list[str]) -> dict:
    return {f: record[f] for f in fields}


def _comment_likes(c: Comment, as_of: datetime) -> int:
    hours = (as_of - c.created_at).total_seconds() / 3600
    return int(40 * _unit("clikes", c.comment_id) ** 3 * min(1.0, max(0.0, hours / 48)))


def _follower(f: Follower) -> dict:
    return {"display_name": f.handle.replace("_", " ").title(), "username": f.handle,
            # Demo additions: the profile fields an audience-quality model needs.
            "avatar_url": f.avatar_url or DEFAULT_AVATAR, "bio_description": f.bio, "is_verified": False,
            "follower_count": f.followers, "following_count": f.following, "video_count": f.posts,
            "create_time": int(f.created_at.timestamp())}


# --------------------------------------------------------------------------- endpoints

def _video_list(api: Platform, req: Request, day: date) -> dict:
    kol = _kol(api, req)
    fields = _fields(req, VIDEO_FIELDS)
    body = _json(req)
    count = _int(body, "max_count", 10, 1, MAX_VIDEOS)
    cursor = _int(body, "cursor", 0, 0, 2**63 - 1) or None
    # Newest first, walking back only as far as this page (plus one, for has_more) needs.
    d = day if cursor is None else min(day, datetime.fromtimestamp(cursor / 1000, timezone.utc).date())
    posts: list[Post] = []
    while d >= WORLD_EPOCH and len(posts) <= count:
        posts.extend(p for p in reversed(api.world.posts_created_on(kol, d))
                     if cursor is None or _video_ms(api, p) < cursor)
        d -= timedelta(days=1)
    page = posts[:count]
    return {"videos": [_select(_video(api, p, kol, day), fields) for p in page],
            "cursor": _video_ms(api, page[-1]) if page else (cursor or 0),
            "has_more": len(posts) > count}


def _video_query(api: Platform, req: Request, day: date) -> dict:
    kol = _kol(api, req)
    fields = _fields(req, VIDEO_FIELDS)
    filters = _json(req).get("filters")
    ids = filters.get("video_ids") if isinstance(filters, dict) else None
    if not isinstance(ids, list) or not ids or len(ids) > MAX_VIDEOS:
        raise TikTokError(400, "invalid_params", f"filters.video_ids must list 1 to {MAX_VIDEOS} video ids.")
    videos = []
    for vid in ids:
        post = api.world.post(str(vid), "tiktok")
        # Videos of another user, or not posted yet, are left out rather than refused.
        if post is not None and post.account_id == kol.account_id and post.created_at <= end_of(day):
            videos.append(_select(_video(api, post, kol, day), fields))
    return {"videos": videos}


def _comment_list(api: Platform, req: Request, day: date) -> dict:
    fields = _fields(req, COMMENT_FIELDS)
    body = _json(req)
    count = _int(body, "max_count", 10, 1, MAX_RESEARCH)
    offset = _int(body, "cursor", 0, 0, 2**31 - 1)
    if body.get("video_id") is None:
        raise TikTokError(400, "invalid_params", "video_id is required.")
    as_of = end_of(day)
    post = api.world.post(str(body["video_id"]), "tiktok")
    if post is None or post.created_at > as_of:
        raise TikTokError(400, "invalid_params", "The video does not exist or is not public.")
    comments = api.world.comments_on(post, as_of)
    replies: dict[str, int] = {}
    for c in comments:
        if c.reply_to_id is not None:
            replies[c.reply_to_id] = replies.get(c.reply_to_id, 0) + 1
    vid = int(post.post_id)
    page = comments[offset : offset + count]
    items = [_select({"id": int(c.comment_id), "video_id": vid, "text": c.text,
                      "like_count": _comment_likes(c, as_of), "reply_count": replies.get(c.comment_id, 0),
                      "parent_comment_id": int(c.reply_to_id) if c.reply_to_id else vid,
                      "create_time": int(c.created_at.timestamp())}, fields) for c in page]
    return {"comments": items, "cursor": offset + len(page), "has_more": offset + len(page) < len(comments)}


def _followers(api: Platform, req: Request, day: date) -> dict:
    body = _json(req)
    count = _int(body, "max_count", 20, 1, MAX_RESEARCH)
    offset = _int(body, "cursor", 0, 0, 2**31 - 1)
    kol = next((k for k in api.world.kols("tiktok") if k.handle == body.get("username")), None)
    if kol is None:
        raise TikTokError(400, "invalid_params", "The username does not exist.")
    sample = api.world.audience_sample(kol, day)
    page = sample[offset : offset + count]
    return {"user_followers": [_follower(f) for f in page], "cursor": offset + len(page),
            "has_more": offset + len(page) < len(sample)}


ROUTES = {
    "/v2/user/info/": ("GET", lambda api, req, day: {"user": _select(_user(api, _kol(api, req), day),
                                                                     _fields(req, USER_FIELDS))}),
    "/v2/video/list/": ("POST", _video_list),
    "/v2/video/query/": ("POST", _video_query),
    "/v2/research/video/comment/list/": ("POST", _comment_list),
    "/v2/research/user/followers/": ("POST", _followers),
}


def handle(api: Platform, req: Request) -> Response:
    try:
        try:
            auth = req.headers.get("authorization", "")
            token = auth[len("Bearer "):].strip() if auth.startswith("Bearer ") else ""
            if token != api.token or not token:
                raise TikTokError(401, "access_token_invalid",
                                  "The access token is invalid or not found in the request.")
            route = ROUTES.get(req.path.rstrip("/") + "/")
            if route is None:
                raise TikTokError(404, "not_found", f"The endpoint {req.path} does not exist.")
            method, serve = route
            if req.method != method:
                raise TikTokError(405, "invalid_params", f"{req.path} takes {method} requests.")
            return _ok(req, serve(api, req, export_day(req.params)))
        except BadRequest as e:
            raise TikTokError(400, "invalid_params", e.message) from None
    except TikTokError as e:
        return Response(e.status, error_envelope(req, e.code, e.message))


# --------------------------------------------------------------------------- faults

def _item_time(item: dict) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(item["create_time"]), timezone.utc)
    except (KeyError, TypeError, ValueError, OverflowError, OSError):
        return None


def _next_cursor(body: dict) -> str | None:
    data = body.get("data")
    if isinstance(data, dict) and data.get("has_more") and data.get("cursor") is not None:
        return str(data["cursor"])
    return None


FAULT_DIALECT = FaultDialect(
    envelope=error_envelope,
    # The marketing API's throttle: HTTP 200, body code 40100.
    throttle_codes={40100: "Too many requests. Please retry in some time."},
    default_throttle=40100,
    http_429=("rate_limit_exceeded", "API rate limit exceeded. Please retry after some time.", {}),
    transient=("internal_error", "Something went wrong. Please try again later.", {}),
    expired=("access_token_invalid", "The access token is invalid or not found in the request.", {}),
    expired_status=401,
    # The Research API's daily request quota.
    quota=(429, "daily_quota_limit_exceeded", "You have exceeded your daily quota of requests.", {}),
    list_keys=("data.videos", "data.comments", "data.user_followers"),
    cursor_params=("cursor",),  # in the POST's JSON body
    new_field=("region_code", "US"),
    count_fields=("view_count", "like_count", "follower_count", "user.follower_count"),
    display_count=str,
    optional_fields=("title", "duration", "bio_description", "avatar_url"),
    item_time=_item_time,
    next_cursor=_next_cursor,
    method="POST",
)


# --------------------------------------------------------------------------- the dashboard's export

EXPORT_HEADER = ["Video ID", "Account ID", "Username", "Video title", "Video link", "Post time", "Duration (sec)",
                 "Total views", "Total likes", "Total comments", "Total shares", "Add to Favorites"]


def export_files(world: World, day: date) -> dict[str, bytes]:
    """TikTok Studio's analytics "Content" export: one row per video posted in the last
    7 days, totals as of the end of ``day``."""
    as_of = end_of(day)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(EXPORT_HEADER)
    for kol in world.kols("tiktok"):
        for post in world.posts_between(kol, day - timedelta(days=TRACKING_DAYS - 1), day):
            c = world.counters(post, as_of)
            writer.writerow([post.post_id, kol.account_id, kol.handle, post.title,
                             f"https://www.tiktok.com/@{kol.handle}/video/{post.post_id}",
                             post.created_at.strftime("%Y-%m-%d %H:%M:%S"), post.duration_s,
                             c.views, c.likes, c.comments, c.shares, c.saves])
    return {f"tiktok_content_{day.isoformat()}.csv": out.getvalue().encode("utf-8")}
