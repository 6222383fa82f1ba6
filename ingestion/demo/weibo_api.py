"""Demo Weibo open API (``/2/...``): Weibo's field names, ``+0800`` time strings,
int64 ids beside ``idstr``, ``max_id`` paging (inclusive, newest first) and its
``{"request", "error_code", "error"}`` error envelope."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta, timezone

from ingestion.demo.api_common import (
    BadRequest, FaultDialect, Platform, Request, Response, display_count_cn, end_of, export_day, int_param,
)
from ingestion.demo.world import WORLD_EPOCH, Comment, Follower, Kol, Post, World

CST = timezone(timedelta(hours=8))
_SOURCE = '<a href="https://app.weibo.com/t/feed/1tqBja" rel="nofollow">iPhone客户端</a>'


def weibo_time(ts: datetime) -> str:
    # Weibo writes local Beijing time with the offset, e.g. "Tue May 31 17:46:55 +0800 2011".
    return ts.astimezone(CST).strftime("%a %b %d %H:%M:%S +0800 %Y")


def _user(api: Platform, kol: Kol, day: date) -> dict:
    return {
        "id": int(kol.account_id),
        "idstr": kol.account_id,
        "screen_name": kol.handle,
        "name": kol.handle,
        "followers_count": api.world.followers_on(kol, day),
        "friends_count": api.world.following_on(kol, day),
        "statuses_count": api.world.posts_count_on(kol, day),
        "verified": kol.start_followers > 100_000,
        "created_at": weibo_time(kol.created_at),
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
    post = api.world.post(status_id or "", "weibo")
    if post is not None and post.created_at <= end_of(day):
        return api.world.kol(post.account_id), post
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
            # Three ways to page, as Weibo has: max_id (inclusive), since_id (newer than), page + count.
            count = int_param(req.params, "count", 20, 100)
            max_id = int_param(req.params, "max_id", 0, 2**63 - 1) or 2**63 - 1
            since_id = int_param(req.params, "since_id", 0, 2**63 - 1)
            page_no = max(1, int_param(req.params, "page", 1, 10_000))
            skip = (page_no - 1) * count
            # Ids sort like time: no day before since_id's own can hold a newer status.
            decoded = api.world.ids.decode("weibo", str(since_id)) if since_id else None
            oldest = max(WORLD_EPOCH, decoded[1]) if decoded else WORLD_EPOCH
            collected: list[Post] = []
            d = day
            while d >= oldest and len(collected) <= skip + count:
                collected.extend(p for p in reversed(api.world.posts_created_on(kol, d))
                                 if since_id < int(p.post_id) <= max_id)
                d -= timedelta(days=1)
            statuses = [_status(api, p, as_of, user) for p in collected[skip:]]
            page, next_cursor = _page_by_max_id(statuses, {k: v for k, v in req.params.items() if k != "max_id"})
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


def _item_time(item: dict) -> datetime | None:
    try:
        return datetime.strptime(item["created_at"], "%a %b %d %H:%M:%S %z %Y")
    except (KeyError, TypeError, ValueError):
        return None


def _next_cursor(body: dict) -> str | None:
    return str(body["next_cursor"]) if body.get("next_cursor") else None  # 0 at the end


FAULT_DIALECT = FaultDialect(
    envelope=lambda req, code, message, **_: error_envelope(req, code, message),
    throttle_codes={10022: "IP requests out of rate limit", 10023: "User requests out of rate limit",
                    10024: "User requests for this api out of rate limit"},
    default_throttle=10023,
    http_429=(10023, "User requests out of rate limit", {}),
    transient=(10001, "System error", {}),
    expired=(21327, "expired_token", {}),
    list_keys=("statuses", "comments", "users"),
    cursor_params=("max_id", "cursor"),
    new_field=("region_name", "发布于 北京"),
    count_fields=("attitudes_count", "followers_count"),
    display_count=display_count_cn,
    optional_fields=("pic_urls", "source", "description", "profile_image_url"),
    item_time=_item_time,
    next_cursor=_next_cursor,
    # Weibo's per-app daily call limit surfaces as the per-user limit's own code family.
    quota=(403, 10024, "User requests for this api out of rate limit (daily)", {}),
)


def export_files(world: World, day: date) -> dict[str, bytes]:
    """微博创作者中心 "内容分析" export: one row per post of the last week, counters as of the end of ``day``;
    UTF-8 with a BOM, as Chinese dashboards write for Excel."""
    as_of = end_of(day)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["博主UID", "博主昵称", "微博ID", "发布时间", "微博内容", "阅读数", "转发数", "评论数", "点赞数"])
    for kol in world.kols("weibo"):
        for post in world.posts_between(kol, day - timedelta(days=6), day):
            c = world.counters(post, as_of)
            reads = "10万+" if c.views >= 100_000 else str(c.views)  # the dashboard caps reads as WeChat does
            writer.writerow([kol.account_id, kol.handle, post.post_id,
                             post.created_at.astimezone(CST).strftime("%Y-%m-%d %H:%M"), post.text, reads,
                             c.shares, c.comments, c.likes])
    return {f"weibo_content_{day.isoformat()}.csv": ("\ufeff" + out.getvalue()).encode("utf-8")}
