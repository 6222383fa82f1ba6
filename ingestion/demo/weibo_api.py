"""Demo Weibo open API (``/2/...``): Weibo's field names, ``+0800`` time strings,
int64 ids beside ``idstr``, ``max_id`` paging (inclusive, newest first) and its
``{"request", "error_code", "error"}`` error envelope."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from ingestion.demo.api_common import BadRequest, Platform, Request, Response, end_of, export_day, int_param
from ingestion.demo.world import TRACKING_DAYS, WORLD_EPOCH, Comment, Follower, Kol, Post

CST = timezone(timedelta(hours=8))
_SOURCE = '<a href="https://app.weibo.com/t/feed/1tqBja" rel="nofollow">iPhone客户端</a>'


def weibo_time(ts: datetime) -> str:
    # Weibo writes local Beijing time with the offset, e.g. "Tue May 31 17:46:55 +0800 2011".
    return ts.astimezone(CST).strftime("%a %b %d %H:%M:%S +0800 %Y")


def _user(api: Platform, kol: Kol, day: date) -> dict:
    days = (day - WORLD_EPOCH).days
    return {
        "id": int(kol.account_id),
        "idstr": kol.account_id,
        "screen_name": kol.handle,
        "name": kol.handle,
        "followers_count": api.world.followers_on(kol, day),
        "friends_count": api.world.following_on(kol, day),
        "statuses_count": 120 + int(kol.posts_per_day * days),
        "verified": kol.start_followers > 100_000,
        "created_at": weibo_time(datetime(2016, 3, 1, tzinfo=timezone.utc) + timedelta(days=int(kol.account_id) % 900)),
        "profile_image_url": f"https://tvax1.sinaimg.cn/crop/{kol.account_id}.jpg",
        "description": f"{kol.niche} | 合作请私信",
    }


def _follower_user(f: Follower) -> dict:
    return {
        "id": int(f.account_id),
        "idstr": f.account_id,
        "screen_name": f.handle,
        "followers_count": f.followers,
        "friends_count": f.following,
        "statuses_count": f.posts,
        # Weibo serves a default grey avatar rather than none.
        "profile_image_url": f.avatar_url or "https://tvax1.sinaimg.cn/default/images/default_avatar_male_180.gif",
        "description": f.bio,
        "created_at": weibo_time(f.created_at),
    }


def _status(api: Platform, post: Post, as_of: datetime, user: dict) -> dict:
    likes, comments, shares = api.world.counters(post, as_of)
    return {
        "created_at": weibo_time(post.created_at),
        "id": int(post.post_id),
        "idstr": post.post_id,
        "mid": post.post_id,
        "text": post.text,
        "source": _SOURCE,
        "reposts_count": shares,
        "comments_count": comments,
        "attitudes_count": likes,
        "isLongText": len(post.text) > 140,
        "pic_urls": [{"thumbnail_pic": f"https://wx1.sinaimg.cn/thumbnail/{post.post_id}.jpg"}],
        "user": user,
    }


def _comment(api: Platform, c: Comment, by_id: dict[str, Comment], kol: Kol, day: date) -> dict:
    author = _user(api, kol, day) if c.author is None else _follower_user(c.author)
    body = {
        "created_at": weibo_time(c.created_at),
        "id": int(c.comment_id),
        "idstr": c.comment_id,
        "mid": c.comment_id,
        "text": c.text,
        "source": _SOURCE,
        "user": author,
        "status": {"id": int(c.post_id), "idstr": c.post_id, "user": {"id": int(kol.account_id), "idstr": kol.account_id}},
    }
    if c.reply_to_id is not None:
        parent = by_id[c.reply_to_id]
        body["reply_comment"] = {
            "id": int(parent.comment_id),
            "idstr": parent.comment_id,
            "text": parent.text,
            "created_at": weibo_time(parent.created_at),
            "user": {"id": int(parent.author_id), "idstr": parent.author_id, "screen_name": parent.author_handle},
        }
    return body


def _kol(api: Platform, uid: str | None) -> Kol:
    kol = api.world.kol(uid or "")
    if kol is None or kol.platform != "weibo":
        raise BadRequest(400, 20003, "User does not exists!")
    return kol


def _find_post(api: Platform, status_id: str | None, day: date) -> tuple[Kol, Post]:
    post = api.world.post(status_id or "")
    if post is not None and post.platform == "weibo" and post.created_at <= end_of(day):
        return api.world.kol(post.account_id), post
    for kol in api.world.kols("weibo"):
        for post in api.world.posts_between(kol, day - timedelta(days=TRACKING_DAYS), day):
            if post.post_id == status_id:
                return kol, post
    raise BadRequest(400, 20101, "Target weibo does not exist!")


def _page_by_max_id(items: list[dict], params: dict[str, str]) -> tuple[list[dict], int]:
    """Weibo paging: newest first, ``max_id`` inclusive, ``next_cursor`` 0 at the end."""
    count = int_param(params, "count", 20, 100)
    max_id = int_param(params, "max_id", 0, 2**63 - 1)
    if max_id:
        items = [i for i in items if i["id"] <= max_id]
    page = items[:count]
    next_cursor = items[count]["id"] if len(items) > count else 0
    return page, next_cursor


def handle(api: Platform, req: Request) -> Response:
    try:
        token = req.params.get("access_token") or req.headers.get("authorization", "").removeprefix("OAuth2 ").strip()
        if not token:
            raise BadRequest(403, 10006, "source paramter(appkey) is missing")
        if token != api.token:
            raise BadRequest(400, 21332, "invalid_access_token")
        day = export_day(req.params)
        as_of = end_of(day)
        if req.path == "/2/users/show.json":
            return Response(200, _user(api, _kol(api, req.params.get("uid")), day))
        if req.path == "/2/statuses/user_timeline.json":
            kol = _kol(api, req.params.get("uid"))
            user = _user(api, kol, day)
            # Newest first; only as far back as paging asks for, so old days stay cheap.
            count = int_param(req.params, "count", 20, 100)
            max_id = int_param(req.params, "max_id", 0, 2**63 - 1) or 2**63 - 1
            collected: list[Post] = []
            d = day
            while d >= WORLD_EPOCH and len(collected) <= count:
                collected.extend(p for p in reversed(api.world.posts_created_on(kol, d)) if int(p.post_id) <= max_id)
                d -= timedelta(days=1)
            statuses = [_status(api, p, as_of, user) for p in collected]
            page, next_cursor = _page_by_max_id(statuses, req.params)
            return Response(200, {"statuses": page, "total_number": user["statuses_count"],
                                  "previous_cursor": 0, "next_cursor": next_cursor, "hasvisible": False})
        if req.path == "/2/comments/show.json":
            kol, post = _find_post(api, req.params.get("id"), day)
            comments = api.world.comments_on(post, as_of)
            by_id = {c.comment_id: c for c in comments}
            items = [_comment(api, c, by_id, kol, day) for c in reversed(comments)]
            page, next_cursor = _page_by_max_id(items, req.params)
            return Response(200, {"comments": page, "total_number": len(items),
                                  "previous_cursor": 0, "next_cursor": next_cursor})
        if req.path == "/2/friendships/followers.json":
            kol = _kol(api, req.params.get("uid"))
            sample = [_follower_user(f) for f in api.world.audience_sample(kol, day)]
            count = int_param(req.params, "count", 50, 200)
            cursor = int_param(req.params, "cursor", 0, len(sample))
            page = sample[cursor : cursor + count]
            nxt = cursor + count if cursor + count < len(sample) else 0
            return Response(200, {"users": page, "next_cursor": nxt, "previous_cursor": cursor,
                                  "total_number": api.world.followers_on(kol, day)})
        raise BadRequest(404, 10014, "Permission denied for this api")
    except BadRequest as e:
        return Response(e.status, error_envelope(req, e.code, e.message))


def error_envelope(req: Request, code: int, message: str) -> dict:
    """Weibo's error body; the fault injector (``faults.py``) renders its faults with it too."""
    return {"request": "/" + req.path.lstrip("/"), "error_code": str(code), "error": message}
