"""Demo Douyin open platform (``open.douyin.com``): its paths, the ``access-token``
header with an ``open_id`` query parameter, epoch-second times, opaque ``@...``
item ids, ``cursor`` + ``has_more`` paging and the ``{"data": {..., "error_code",
"description"}, "extra": {...}}`` envelope in which a non-zero ``error_code`` in an
HTTP 200 body is an error.

Where the shapes come from (``docs/demo-api/douyin.md`` has the details):
- documented by Douyin: ``/oauth/userinfo/``, ``/data/external/user/fans/``,
  ``/api/douyin/v1/video/video_list/``, ``/data/external/item/base/``,
  ``/item/comment/list/``, ``/item/comment/reply/list/`` and ``/fans/list/`` (the
  last two belong to enterprise and legacy scopes); the error codes 2190002
  (invalid token), 2190008 (expired token), 2190015 (token and open_id do not
  match), 2100005 (invalid parameter), 2100004 (system busy), 2190001 (quota used up);
- community: ``statistics.play_count`` is often 0 in the video list (the item
  data endpoint has the plays), and item data exists only for videos under 30 days
  and arrives the next day (T+1: an export of day D holds the totals of D-1);
- demo additions: ``follower_count``, ``following_count`` and ``aweme_count`` on
  the user info; profile fields on ``/fans/list/`` items (the audience sample);
  the ``export_date`` parameter; ``extra.now`` and ``extra.logid`` are stamped with
  the end of the export day, so that answers are byte-identical.
"""
from __future__ import annotations

import base64
import csv
import hashlib
import io
import struct
from datetime import date, datetime, timedelta, timezone

from ingestion.demo.api_common import (
    BadRequest, FaultDialect, Platform, Request, Response, display_count_cn, end_of, epoch_seconds, export_day,
    int_param,
)
from ingestion.demo.world import TRACKING_DAYS, WORLD_EPOCH, Comment, Follower, Kol, Post, World
from ingestion.platforms.base import EXPORT_DATE_PARAM

CST = timezone(timedelta(hours=8))

# Douyin's own error codes (open platform error code tables).
SYSTEM_ERROR = 10001  # 系统异常
SYSTEM_BUSY = 2100004  # 系统繁忙，此时请开发者稍候再试
PARAM_INVALID = 2100005  # 参数不合法
QUOTA_USED_UP = 2190001  # quota已用完
TOKEN_INVALID = 2190002  # access_token无效
NO_CAPABILITY = 2190004  # 应用未获得该能力
TOKEN_EXPIRED = 2190008  # access_token过期,请刷新或重新授权
OPENID_MISMATCH = 2190015  # 请求参数access_token openid不匹配
MESSAGES = {
    SYSTEM_ERROR: "系统异常", SYSTEM_BUSY: "系统繁忙，此时请开发者稍候再试", PARAM_INVALID: "参数不合法",
    QUOTA_USED_UP: "quota已用完", TOKEN_INVALID: "access_token无效", NO_CAPABILITY: "应用未获得该能力",
    TOKEN_EXPIRED: "access_token过期,请刷新或重新授权", OPENID_MISMATCH: "请求参数access_token openid不匹配",
}
ITEM_DATA_DAYS = 30  # item data endpoints answer only for videos published within this many days
DEFAULT_AVATAR = "https://p3.douyinpic.com/aweme/100x100/aweme-avatar/default_avatar.jpeg"
_CID_MASK = 0x5D0F_1E2C_A7B3_9C41  # hides the time order of comment ids, as Douyin's opaque ids do


class _Error(Exception):
    """A Douyin error: the code, a detail for ``sub_description``, and the HTTP status (mostly 200)."""

    def __init__(self, code: int, detail: str = "", status: int = 200):
        super().__init__(detail or MESSAGES.get(code, ""))
        self.code, self.detail, self.status = code, detail, status


def _unit(*parts: object) -> float:
    return int.from_bytes(hashlib.blake2b(repr(parts).encode(), digest_size=8).digest(), "big") / 2**64


# --------------------------------------------------------------------------- envelope

def _clock(req: Request) -> datetime:
    """The instant the demo answers at: the end of the export day (real Douyin stamps now)."""
    try:
        return end_of(date.fromisoformat(req.params[EXPORT_DATE_PARAM]))
    except (KeyError, ValueError):
        return datetime.now(timezone.utc)


def _extra(req: Request, code: int, description: str, sub_error_code: int = 0, sub_description: str = "",
           **more: object) -> dict:
    now = _clock(req)
    query = "&".join(f"{k}={v}" for k, v in sorted(req.params.items()))
    digest = hashlib.blake2b(f"{req.method} {req.path}?{query}".encode(), digest_size=10).hexdigest().upper()
    # Real log ids are the Beijing time of the request followed by 20 hex digits.
    return {"error_code": code, "description": description, "sub_error_code": sub_error_code,
            "sub_description": sub_description, "logid": now.astimezone(CST).strftime("%Y%m%d%H%M%S") + digest,
            "now": int(now.timestamp() * 1000), **more}


def _ok(req: Request, data: dict) -> Response:
    return Response(200, {"data": {**data, "error_code": 0, "description": ""}, "extra": _extra(req, 0, "")})


def error_envelope(req: Request, code: int, message: str, **extra: object) -> dict:
    """Douyin's error body: the code twice, in ``data`` and in ``extra`` (``extra`` may carry
    ``sub_error_code`` and ``sub_description``); the fault injector renders its faults with it."""
    return {"data": {"error_code": code, "description": message}, "extra": _extra(req, code, message, **extra)}


# --------------------------------------------------------------------------- ids and records

def comment_id(cid: str) -> str:
    return "@" + base64.urlsafe_b64encode(struct.pack(">Q", int(cid) ^ _CID_MASK)).decode().rstrip("=")


def _world_comment_id(text: str) -> str | None:
    try:
        raw = base64.urlsafe_b64decode(text[1:] + "=" * (-len(text[1:]) % 4))
        return str(struct.unpack(">Q", raw)[0] ^ _CID_MASK) if text.startswith("@") and len(raw) == 8 else None
    except (ValueError, struct.error):
        return None


def _reports_plays(post: Post) -> bool:
    # Community notes: the list's play_count is 0 for most videos; only some carry it.
    return _unit("douyin-plays", post.post_id) < 0.25


def _statistics(world: World, post: Post, as_of: datetime) -> dict:
    c = world.counters(post, as_of)
    return {
        "digg_count": c.likes,
        "comment_count": c.comments,
        "share_count": c.shares,
        "play_count": c.views if _reports_plays(post) else 0,
        "forward_count": int(c.shares * 0.25),
        "download_count": int(c.saves * 0.1),
    }


def _video(world: World, post: Post, as_of: datetime) -> dict:
    aweme = 7_000_000_000_000_000_000 + int(_unit("aweme", post.post_id) * 10**18)
    return {
        "item_id": post.post_id,
        "title": post.text,
        "cover": f"https://p3-sign.douyinpic.com/tos-cn-p-0015/{aweme:x}~tplv-dy-360p.jpeg",
        "is_top": False,
        "create_time": int(post.created_at.timestamp()),
        "is_reviewed": True,
        "video_status": 1,  # published
        "share_url": f"https://www.iesdouyin.com/share/video/{aweme}/",
        "media_type": 4,  # video
        "statistics": _statistics(world, post, as_of),
    }


def _keyed(world: World, kol: Kol, day: date) -> list[tuple[int, Post]]:
    """The day's videos with their paging keys: epoch ms, the milliseconds numbering same-second videos."""
    out, previous, rank = [], None, 0
    for post in world.posts_created_on(kol, day):
        ts = int(post.created_at.timestamp())
        rank = rank + 1 if ts == previous else 0
        previous = ts
        out.append((ts * 1000 + rank, post))
    return out


def _fan(f: Follower) -> dict:
    # Region fields come from the follower id alone: nothing about what kind of account it is.
    u = _unit("douyin-fan", f.account_id)
    return {
        "open_id": f.account_id,
        "union_id": "u" + hashlib.blake2b(f.account_id.encode(), digest_size=12).hexdigest(),
        "nickname": f.handle,
        "avatar": f.avatar_url or DEFAULT_AVATAR,
        "gender": int(u * 3),
        "country": "中国",
        "province": ("广东", "浙江", "北京", "四川", "江苏", "湖北")[int(u * 97) % 6],
        "city": "",
        # Demo additions: profile signals of the audience sample.
        "follower_count": f.followers,
        "following_count": f.following,
        "aweme_count": f.posts,
        "signature": f.bio,
        "create_time": int(f.created_at.timestamp()),
    }


def _comment(c: Comment, replies: int) -> dict:
    return {
        "comment_id": comment_id(c.comment_id),
        "comment_user_id": c.author_id,
        "content": c.text,
        "create_time": int(c.created_at.timestamp()),
        "digg_count": int(_unit("douyin-digg", c.comment_id) * 30),
        "reply_comment_total": replies,
        "top": False,
    }


# --------------------------------------------------------------------------- lookups

def _kol(api: Platform, open_id: str | None) -> Kol:
    if not open_id:
        raise _Error(PARAM_INVALID, "open_id 不能为空")
    kol = api.world.kol(open_id)
    if kol is None or kol.platform != "douyin":
        raise _Error(OPENID_MISMATCH)
    return kol


def _item(api: Platform, kol: Kol, item_id: str | None, as_of: datetime) -> Post:
    post = api.world.post(item_id or "", "douyin")
    if post is None or post.account_id != kol.account_id or post.created_at > as_of:
        raise _Error(PARAM_INVALID, "item_id 不存在")
    return post


def _offset_page(req: Request, items: list, default: int, maximum: int) -> tuple[list, dict]:
    count = int_param(req.params, "count", default, maximum) or default
    cursor = int_param(req.params, "cursor", 0, len(items))
    page = items[cursor : cursor + count]
    return page, {"cursor": cursor + len(page), "has_more": cursor + count < len(items)}


# --------------------------------------------------------------------------- the handler

def handle(api: Platform, req: Request) -> Response:
    try:
        body = req.json if isinstance(req.json, dict) else {}
        token = req.headers.get("access-token") or req.params.get("access_token") or body.get("access_token")
        if token != api.token:
            raise _Error(TOKEN_INVALID)
        day = export_day(req.params)
        as_of = end_of(day)
        world = api.world
        if req.path == "/oauth/userinfo/":
            kol = _kol(api, req.params.get("open_id") or body.get("open_id"))
            return _ok(req, {
                "open_id": kol.account_id,
                "union_id": "u" + hashlib.blake2b(kol.account_id.encode(), digest_size=12).hexdigest(),
                "nickname": kol.handle,
                "avatar": f"https://p3.douyinpic.com/aweme/100x100/aweme-avatar/{kol.index:04d}.jpeg",
                "e_account_role": "EAccountM" if kol.start_followers > 100_000 else "",
                # Demo additions: the app's profile counts, which the open platform keeps elsewhere.
                "follower_count": world.followers_on(kol, day),
                "following_count": world.following_on(kol, day),
                "aweme_count": world.posts_count_on(kol, day),
            })
        kol = _kol(api, req.params.get("open_id"))
        if req.path == "/data/external/user/fans/":
            span = int_param(req.params, "date_type", 7, 30)
            if span not in (7, 15, 30):
                raise _Error(PARAM_INVALID, "date_type 只支持 7/15/30")
            days = [day - timedelta(days=n) for n in range(span - 1, -1, -1)]
            totals = {d: world.followers_on(kol, d) for d in [days[0] - timedelta(days=1), *days]}
            return _ok(req, {"result_list": [
                {"date": d.isoformat(), "new_fans": totals[d] - totals[d - timedelta(days=1)], "total_fans": totals[d]}
                for d in days]})
        if req.path == "/api/douyin/v1/video/video_list/":
            count = int_param(req.params, "count", 10, 20) or 10
            cursor = int_param(req.params, "cursor", 0, 2**63 - 1)
            try:
                start = min(day, datetime.fromtimestamp(cursor // 1000, timezone.utc).date()) if cursor else day
            except (OverflowError, OSError, ValueError):
                raise _Error(PARAM_INVALID, "cursor 不合法") from None
            # Newest first, walking back only as far as one page past the cursor needs.
            collected: list[tuple[int, Post]] = []
            d = start
            while d >= WORLD_EPOCH and len(collected) <= count:
                collected.extend(kp for kp in reversed(_keyed(world, kol, d)) if not cursor or kp[0] < cursor)
                d -= timedelta(days=1)
            page = collected[:count]
            return _ok(req, {"list": [_video(world, p, as_of) for _, p in page],
                             "cursor": page[-1][0] if page else cursor, "has_more": len(collected) > count})
        if req.path == "/data/external/item/base/":
            post = _item(api, kol, req.params.get("item_id"), as_of)
            if as_of - post.created_at > timedelta(days=ITEM_DATA_DAYS):
                raise _Error(PARAM_INVALID, f"仅支持查询{ITEM_DATA_DAYS}天内发布的视频")
            # Item data is T+1: an export of day D holds the totals as of the end of D-1, so a
            # video published on D shows zeros until the next day's export.
            c = world.counters(post, as_of - timedelta(days=1))
            watched = 0.3 + 0.3 * _unit("douyin-watch", post.post_id)
            return _ok(req, {"result": {"avg_play_duration": round(max(post.duration_s, 1) * watched, 2),
                                        "total_comment": c.comments, "total_like": c.likes,
                                        "total_play": c.views, "total_share": c.shares}})
        if req.path in ("/item/comment/list/", "/item/comment/reply/list/"):
            post = _item(api, kol, req.params.get("item_id"), as_of)
            comments = world.comments_on(post, as_of)
            replies: dict[str, list[Comment]] = {}
            for c in comments:
                if c.reply_to_id is not None:
                    replies.setdefault(c.reply_to_id, []).append(c)
            if req.path == "/item/comment/list/":
                chosen = [c for c in reversed(comments) if c.reply_to_id is None]
            else:
                parent = _world_comment_id(req.params.get("comment_id", ""))
                if parent is None or not any(c.comment_id == parent for c in comments):
                    raise _Error(PARAM_INVALID, "comment_id 不存在")
                chosen = list(reversed(replies.get(parent, [])))
            page, paging = _offset_page(req, chosen, 10, 50)
            return _ok(req, {"list": [_comment(c, len(replies.get(c.comment_id, []))) for c in page], **paging})
        if req.path == "/fans/list/":
            sample = [_fan(f) for f in world.audience_sample(kol, day)]
            page, paging = _offset_page(req, sample, 10, 20)
            return _ok(req, {"list": page, **paging, "total": world.followers_on(kol, day)})
        raise _Error(NO_CAPABILITY, f"unknown path {req.path}", status=404)
    except _Error as e:
        return Response(e.status, error_envelope(req, e.code, MESSAGES.get(e.code, e.detail), sub_description=e.detail))
    except BadRequest as e:
        # export_date and integer parameters: Douyin says "invalid parameter" in an HTTP 200 body.
        return Response(200, error_envelope(req, PARAM_INVALID, MESSAGES[PARAM_INVALID], sub_description=e.message))


# --------------------------------------------------------------------------- fault dialect

def _item_time(item: dict) -> datetime | None:
    return epoch_seconds(item.get("create_time") if isinstance(item, dict) else None)


def _next_cursor(body: dict) -> str | None:
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict) or not data.get("has_more") or data.get("cursor") is None:
        return None
    return str(data["cursor"])


FAULT_DIALECT = FaultDialect(
    envelope=error_envelope,
    throttle_codes={SYSTEM_BUSY: MESSAGES[SYSTEM_BUSY]},
    default_throttle=SYSTEM_BUSY,
    http_429=(SYSTEM_BUSY, MESSAGES[SYSTEM_BUSY], {}),
    transient=(SYSTEM_ERROR, "系统异常，请稍后重试", {}),
    expired=(TOKEN_EXPIRED, MESSAGES[TOKEN_EXPIRED], {}),
    list_keys=("data.list", "data.result_list"),
    cursor_params=("cursor",),
    new_field=("video_tag", []),
    count_fields=("statistics.digg_count", "statistics.comment_count", "statistics.share_count",
                  "statistics.play_count", "digg_count", "follower_count"),
    display_count=display_count_cn,
    optional_fields=("cover", "share_url", "signature", "avatar"),
    item_time=_item_time,
    next_cursor=_next_cursor,
    expired_status=200,
    quota=(200, QUOTA_USED_UP, MESSAGES[QUOTA_USED_UP], {}),
)


# --------------------------------------------------------------------------- creator dashboard export

EXPORT_HEADER = ("账号ID", "抖音昵称", "作品ID", "作品名称", "发布时间", "体裁",
                 "播放量", "点赞量", "评论量", "分享量", "收藏量")


def export_files(world: World, day: date) -> dict[str, bytes]:
    """The creator center's works export (作品数据) for ``day``: every Douyin KOL's works of the
    last seven days, counters as of the end of the day, times in Beijing time, UTF-8 with BOM."""
    as_of = end_of(day)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(EXPORT_HEADER)
    for kol in world.kols("douyin"):
        for post in world.posts_between(kol, day - timedelta(days=TRACKING_DAYS - 1), day):
            c = world.counters(post, as_of)
            writer.writerow((kol.account_id, kol.handle, post.post_id, post.text,
                             post.created_at.astimezone(CST).strftime("%Y-%m-%d %H:%M:%S"),
                             "直播" if post.media_type == "LIVE" else "视频",
                             c.views, c.likes, c.comments, c.shares, c.saves))
    return {f"douyin_works_{day.isoformat()}.csv": out.getvalue().encode("utf-8-sig")}
