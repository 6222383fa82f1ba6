"""Demo Instagram Graph API (``/v21.0/...``): Graph field names, ``+0000`` times,
string ids, ``paging.cursors.after`` with ``paging.next`` absent on the last page,
bearer tokens and the ``OAuthException`` error envelope."""
from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import date, datetime, timedelta, timezone
from urllib.parse import urlencode

from ingestion.demo.api_common import (
    BadRequest, FaultDialect, Platform, Request, Response, decode_cursor, encode_cursor, end_of, export_day,
    int_param,
)
from ingestion.demo.world import WORLD_EPOCH, Comment, Follower, Kol, Post, World

API_VERSION = "v21.0"


def graph_time(ts: datetime) -> str:
    # Graph API writes UTC with an offset that has no colon: 2025-06-01T07:00:00+0000.
    return ts.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+0000")


def _select(obj: dict, fields: str | None) -> dict:
    """Graph returns only the fields asked for (and always the id)."""
    if not fields:
        return {"id": obj["id"]}
    wanted = {f.split("{", 1)[0].strip() for f in _split_fields(fields)} | {"id"}
    return {k: v for k, v in obj.items() if k in wanted}


def _split_fields(fields: str) -> list[str]:
    out, depth, cur = [], 0, ""
    for ch in fields:
        if ch == "," and depth == 0:
            out.append(cur)
            cur = ""
            continue
        depth += ch == "{"
        depth -= ch == "}"
        cur += ch
    return out + [cur] if cur else out


def _user(api: Platform, kol: Kol, day: date) -> dict:
    return {
        "id": kol.account_id,
        "username": kol.handle,
        "name": kol.handle.replace(".", " ").title(),
        "followers_count": api.world.followers_on(kol, day),
        "follows_count": api.world.following_on(kol, day),
        "media_count": api.world.posts_count_on(kol, day),
        "biography": f"{kol.niche} creator",
    }


def _media(api: Platform, post: Post, as_of: datetime, kol: Kol) -> dict:
    likes, comments, _ = api.world.counters(post, as_of)
    code = hashlib.blake2b(post.post_id.encode(), digest_size=6).hexdigest()
    return {
        "id": post.post_id,
        "caption": post.text,
        "media_type": "CAROUSEL_ALBUM" if post.media_type == "CAROUSEL" else post.media_type,
        "media_product_type": "REELS" if post.media_type == "VIDEO" else "FEED",
        "like_count": likes,
        "comments_count": comments,
        "permalink": f"https://www.instagram.com/p/{code}/",
        "timestamp": graph_time(post.created_at),
        "username": kol.handle,
        **({"children": {"data": [{"id": f"{post.post_id}{k}"} for k in range(1, 4)]}}
           if post.media_type == "CAROUSEL" else {}),
    }


def _comment(c: Comment) -> dict:
    return {"id": c.comment_id, "text": c.text, "timestamp": graph_time(c.created_at),
            "username": c.author_handle, "from": {"id": c.author_id, "username": c.author_handle}, "like_count": 0}


def _follower(f: Follower) -> dict:
    return {"id": f.account_id, "username": f.handle, "followers_count": f.followers, "follows_count": f.following,
            "media_count": f.posts, "profile_picture_url": f.avatar_url, "biography": f.bio,
            "account_created_time": graph_time(f.created_at)}


def _paged(req: Request, items: list[dict], default_limit: int = 25) -> dict:
    limit = int_param(req.params, "limit", default_limit, 100) or default_limit
    offset = decode_cursor(req.params.get("after"))
    page = items[offset : offset + limit]
    body: dict = {"data": page}
    if items:
        cursors = {"before": encode_cursor(offset), "after": encode_cursor(offset + len(page))}
        body["paging"] = {"cursors": cursors}
        if offset + limit < len(items):
            query = {k: v for k, v in req.params.items() if k != "access_token"} | {"after": cursors["after"]}
            body["paging"]["next"] = f"{req.base_url}{req.path}?{urlencode(query)}"
    return body


def _lookup(api: Platform, node_id: str, day: date) -> tuple[str, Kol, Post | None]:
    kol = api.world.kol(node_id)
    if kol is not None and kol.platform == "instagram":
        return "user", kol, None
    post = api.world.post(node_id, "instagram")
    if post is not None and post.created_at <= end_of(day):
        return "media", api.world.kol(post.account_id), post
    raise BadRequest(400, 100, f"Unsupported get request. Object with ID '{node_id}' does not exist, "
                               "cannot be loaded due to missing permissions, or does not support this operation")


_MEDIA_METRICS = ("impressions", "reach", "saved", "shares", "likes", "comments", "total_interactions", "video_views")
_USER_METRICS = ("follower_count", "reach", "impressions")


def _usage(req: Request, node: str | None) -> dict[str, str]:
    """Graph's usage headers on every answer: the share of the rolling hour's budget used.
    Derived from the request, so that the same request gives the same bytes."""
    used = 1 + hashlib.blake2b(req.path.encode(), digest_size=1).digest()[0] % 40
    headers = {"X-App-Usage": json.dumps({"call_count": used, "total_cputime": used // 4, "total_time": used // 3})}
    if node:
        headers["X-Business-Use-Case-Usage"] = json.dumps({node: [{
            "type": "instagram", "call_count": used, "total_cputime": used // 4, "total_time": used // 3,
            "estimated_time_to_regain_access": 0}]})
    return headers


def _insight(node: str, name: str, period: str, values: list[dict]) -> dict:
    return {"name": name, "period": period, "values": values, "title": name.replace("_", " ").title(),
            "description": f"The {name.replace('_', ' ')} of this {('account' if period == 'day' else 'media')}.",
            "id": f"{node}/insights/{name}/{period}"}


def _metrics(req: Request, allowed: tuple[str, ...]) -> list[str]:
    names = [m.strip() for m in (req.params.get("metric") or "").split(",") if m.strip()]
    bad = [m for m in names if m not in allowed]
    if not names or bad:
        raise BadRequest(400, 100, f"(#100) metric[{len(names) - len(bad)}] must be one of the following values: "
                                   f"{', '.join(allowed)}")
    return names


def _media_insights(api: Platform, post: Post, as_of: datetime, req: Request) -> dict:
    c = api.world.counters(post, as_of)
    value = {"impressions": c.views, "reach": int(c.views * 0.7), "saved": c.saves, "shares": c.shares,
             "likes": c.likes, "comments": c.comments, "total_interactions": c.likes + c.comments + c.shares + c.saves,
             "video_views": c.views if post.media_type == "VIDEO" else 0}
    return {"data": [_insight(post.post_id, m, "lifetime", [{"value": value[m]}]) for m in _metrics(req, _MEDIA_METRICS)]}


def _user_insights(api: Platform, kol: Kol, day: date, req: Request) -> dict:
    """Daily account insights for ``day``: new followers, reach and impressions of the day's posts."""
    if req.params.get("period", "day") != "day":
        raise BadRequest(400, 100, "(#100) The period must be day for these metrics")
    end = graph_time(end_of(day) + timedelta(microseconds=1))
    views = sum(api.world.counters(p, end_of(day)).views - api.world.counters(p, end_of(day - timedelta(days=1))).views
                for p in api.world.posts_between(kol, day - timedelta(days=7), day))
    value = {"follower_count": max(0, api.world.followers_on(kol, day) - api.world.followers_on(kol, day - timedelta(days=1))),
             "impressions": views, "reach": int(views * 0.7)}
    return {"data": [_insight(kol.account_id, m, "day", [{"value": value[m], "end_time": end}])
                     for m in _metrics(req, _USER_METRICS)]}


def handle(api: Platform, req: Request) -> Response:
    resp = _handle(api, req)
    node = req.path.strip("/").split("/")[1] if req.path.count("/") >= 2 else None
    resp.headers.update(_usage(req, node if resp.status == 200 else None))
    return resp


def _handle(api: Platform, req: Request) -> Response:
    try:
        auth = req.headers.get("authorization", "")
        token = auth[len("Bearer "):].strip() if auth.startswith("Bearer ") else req.params.get("access_token", "")
        if not token:
            raise BadRequest(400, 2500, "An active access token must be used to query information about the current user.")
        if token != api.token:
            raise BadRequest(400, 190, "Error validating access token: Session has expired.")
        parts = req.path.strip("/").split("/")
        if len(parts) < 2 or parts[0] != API_VERSION:
            raise BadRequest(400, 2635, f"Unknown API version; this demo serves {API_VERSION}")
        day = export_day(req.params)
        as_of = end_of(day)
        kind, kol, post = _lookup(api, parts[1], day)
        edge = parts[2] if len(parts) > 2 else None
        if kind == "user" and edge is None:
            return Response(200, _select(_user(api, kol, day), req.params.get("fields")))
        if kind == "user" and edge == "media":
            # Newest first. Stop generating once the page after the cursor is full.
            limit = int_param(req.params, "limit", 25, 100) or 25
            need = decode_cursor(req.params.get("after")) + limit + 1
            posts: list[Post] = []
            d = day
            while d >= WORLD_EPOCH and len(posts) < need:
                posts.extend(reversed(api.world.posts_created_on(kol, d)))
                d -= timedelta(days=1)
            items = [_select(_media(api, p, as_of, kol), req.params.get("fields")) for p in posts]
            # need = one past the page, so _paged sees whether a next page exists.
            return Response(200, _paged(req, items))
        if kind == "media" and edge == "comments":
            comments = api.world.comments_on(post, as_of)
            replies: dict[str, list[dict]] = {}
            for c in comments:
                if c.reply_to_id is not None:
                    replies.setdefault(c.reply_to_id, []).append(_comment(c))
            top = []
            for c in reversed(comments):
                if c.reply_to_id is None:
                    item = _comment(c)
                    if c.comment_id in replies:
                        item["replies"] = {"data": replies[c.comment_id]}
                    top.append(item)
            return Response(200, _paged(req, top, default_limit=50))
        if kind == "media" and edge is None:
            return Response(200, _select(_media(api, post, as_of, kol), req.params.get("fields")))
        if kind == "media" and edge == "insights":
            return Response(200, _media_insights(api, post, as_of, req))
        if kind == "user" and edge == "insights":
            return Response(200, _user_insights(api, kol, day, req))
        if kind == "user" and edge == "audience_sample":
            return Response(200, _paged(req, [_follower(f) for f in api.world.audience_sample(kol, day)], 50))
        raise BadRequest(400, 100, f"Tried accessing nonexisting field ({edge}) on node type ({kind})")
    except BadRequest as e:
        return Response(e.status, error_envelope(req, e.code, e.message))


def error_envelope(req: Request, code: int, message: str, **extra: object) -> dict:
    """Graph's error body (``extra``: e.g. ``error_subcode``, ``is_transient``); the fault
    injector (``faults.py``) renders its faults with it too."""
    trace = hashlib.blake2b(req.path.encode(), digest_size=8).hexdigest()
    return {"error": {"message": message, "type": "OAuthException", "code": code, **extra, "fbtrace_id": trace}}


def _item_time(item: dict) -> datetime | None:
    try:
        return datetime.strptime(item["timestamp"], "%Y-%m-%dT%H:%M:%S%z")
    except (KeyError, TypeError, ValueError):
        return None


def _next_cursor(body: dict) -> str | None:
    paging = body.get("paging") or {}
    return str(paging.get("cursors", {}).get("after") or "") or None if "next" in paging else None


FAULT_DIALECT = FaultDialect(
    envelope=error_envelope,
    throttle_codes={4: "(#4) Application request limit reached", 17: "(#17) User request limit reached"},
    default_throttle=17,
    throttle_extra={"is_transient": True},
    http_429=(4, "(#4) Application request limit reached", {"is_transient": True}),
    transient=(2, "An unexpected error has occurred. Please retry your request later.", {"is_transient": True}),
    expired=(190, "Error validating access token: Session has expired on {expired}. The current time is {now}.",
             {"error_subcode": 463}),
    expired_headers={"WWW-Authenticate": 'OAuth "Facebook Platform" "invalid_token" "Session has expired"'},
    list_keys=("data",),
    cursor_params=("after",),
    new_field=("is_shared_to_feed", True),
    count_fields=("like_count", "followers_count"),
    display_count=str,
    optional_fields=("caption", "permalink", "from", "biography", "profile_picture_url"),
    item_time=_item_time,
    next_cursor=_next_cursor,
    throttle_headers={"X-App-Usage": json.dumps({"call_count": 100, "total_cputime": 100, "total_time": 100})},
    # Graph has no daily quota, only rolling-hour call counts (the throttles above).
    quota=None,
)


def export_files(world: World, day: date) -> dict[str, bytes]:
    """Meta Business Suite's "Export data" of content insights: one CSV row per post
    published in the last week, as of the end of ``day``."""
    as_of = end_of(day)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["Post ID", "Account ID", "Account username", "Account name", "Description", "Duration (sec)",
                     "Publish time", "Permalink", "Post type", "Data comment", "Date", "Impressions", "Reach",
                     "Likes", "Shares", "Follows", "Comments", "Saves"])
    for kol in world.kols("instagram"):
        for post in world.posts_between(kol, day - timedelta(days=6), day):
            c = world.counters(post, as_of)
            code = hashlib.blake2b(post.post_id.encode(), digest_size=6).hexdigest()
            kind = {"VIDEO": "IG reel", "CAROUSEL": "IG carousel"}.get(post.media_type, "IG image")
            writer.writerow([post.post_id, kol.account_id, kol.handle, kol.handle.replace(".", " ").title(), post.text,
                             post.duration_s, post.created_at.strftime("%m/%d/%Y %H:%M"),
                             f"https://www.instagram.com/p/{code}/", kind, "", "Lifetime", c.views,
                             int(c.views * 0.7), c.likes, c.shares, "", c.comments, c.saves])
    return {f"instagram_content_{day.isoformat()}.csv": out.getvalue().encode("utf-8")}
