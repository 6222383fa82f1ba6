"""Demo Xiaohongshu (RED) web API (``edith.xiaohongshu.com``). RED has no public content
API; this imitates the web endpoints that community clients (ReaJason/xhs, MediaCrawler)
call: cookie login (``web_session``), a request signature in the ``x-s``/``x-t``
headers, 24-hex note ids, epoch-millisecond times, cursor paging by the last id, the
``{"code", "success", "msg", "data"}`` envelope with errors in HTTP 200 bodies, and
counts as *display strings* (``"1.2万"``, ``"3,456"``, ``"2.5k"``, ``"10万+"``,
``"未知"`` for unknown).

Where the shapes come from (``docs/demo-api/xiaohongshu.md`` has the details):
- community: the paths ``/api/sns/web/v1/user/otherinfo``, ``/api/sns/web/v1/user_posted``,
  ``/api/sns/web/v1/feed`` (POST), ``/api/sns/web/v2/comment/page`` and
  ``/api/sns/web/v2/comment/sub/page``; ``note_card`` and comment shapes; the codes
  -100 (login expired), -101 (no login), 300012 (IP at risk), 300013 (access frequency),
  300015 (signature rejected), -510000 (note not found);
- demo choices: ``user_posted`` items carry the whole ``note_card`` (time, ip_location and
  all four counts), where the real list has only ``liked_count`` and a connector fetches
  each note; a missing signature answers HTTP 406; code -1 for bad parameters, unknown
  users and (with HTTP 500) transient faults;
- demo additions: ``/api/sns/web/v1/user/audience_sample``, the ``export_date``
  parameter; times stamped "now" are the end of the export day.
"""
from __future__ import annotations

import csv
import hashlib
import io
from datetime import date, datetime, timedelta, timezone

from ingestion.demo.api_common import (
    BadRequest, FaultDialect, Platform, Request, Response, cookie, display_count_cn, end_of, export_day,
    int_param,
)
from ingestion.demo.world import TRACKING_DAYS, WORLD_EPOCH, Comment, Follower, Kol, Post, World
from ingestion.platforms.base import EXPORT_DATE_PARAM

CST = timezone(timedelta(hours=8))

# Community-documented codes (ReaJason/xhs ``ErrorEnum``, MediaCrawler).
LOGIN_EXPIRED = -100  # 登录已过期
NO_LOGIN = -101  # 无登录信息，或登录信息为空
IP_RISK = 300012  # 网络连接异常，请检查网络设置或重启试试
ACCESS_FREQUENCY = 300013  # 访问频次异常，请勿频繁操作或重启试试
SIGN_FAULT = 300015  # 浏览器异常，请尝试关闭/卸载风险插件或重启试试！
NOTE_NOT_FOUND = -510000  # 笔记不存在
GENERIC = -1  # demo choice: bad parameters, unknown users, transient faults
MESSAGES = {
    LOGIN_EXPIRED: "登录已过期", NO_LOGIN: "无登录信息，或登录信息为空",
    IP_RISK: "网络连接异常，请检查网络设置或重启试试", ACCESS_FREQUENCY: "访问频次异常，请勿频繁操作或重启试试",
    SIGN_FAULT: "浏览器异常，请尝试关闭/卸载风险插件或重启试试！", NOTE_NOT_FOUND: "笔记不存在",
}
DEFAULT_AVATAR = "https://sns-avatar-qc.xhscdn.com/avatar/default_avatar.jpg"
_PROVINCES = ("上海", "北京", "广东", "浙江", "四川", "江苏", "湖北", "福建", "湖南", "重庆")


def _hash(*parts: object) -> int:
    return int.from_bytes(hashlib.blake2b(repr(parts).encode(), digest_size=8).digest(), "big")


def _unit(*parts: object) -> float:
    return _hash(*parts) / 2**64


def _ms(ts: datetime) -> int:
    return int(ts.timestamp() * 1000)


# --------------------------------------------------------------------------- display counts

def display_count(n: int, *salt: object) -> str:
    """How RED's web pages write a count. Each (note, counter) keeps one style every day, so
    that a connector meets every style, deterministically: ``"未知"`` for some counters,
    ``"10万+"`` past 100,000, ``"1.2万"`` past 10,000, and below that ``"3456"``,
    ``"3,456"`` or ``"3.5k"``."""
    u = _unit("xhs-count", *salt)
    if u < 0.04:
        return "未知"
    if n >= 100_000:
        return "10万+"
    if n >= 10_000:
        return display_count_cn(n)
    style = int(u * 1000) % 3
    if n >= 1000 and style == 1:
        return f"{n:,}"
    if n >= 1000 and style == 2:
        return f"{n / 1000:.1f}".removesuffix(".0") + "k"
    return str(n)


# --------------------------------------------------------------------------- envelope

def _now(req: Request) -> datetime:
    try:
        return end_of(date.fromisoformat(req.params[EXPORT_DATE_PARAM]))
    except (KeyError, ValueError):
        return datetime.now(timezone.utc)


def _ok(data: dict) -> Response:
    return Response(200, {"code": 0, "success": True, "msg": "成功", "data": data})


def error_envelope(req: Request, code: int, message: str, **extra: object) -> dict:
    """RED's error body; the fault injector renders its faults with it too."""
    return {"code": code, "success": False, "msg": message, "data": extra.pop("data", {}), **extra}


class _Error(Exception):
    def __init__(self, code: int, message: str | None = None, status: int = 200):
        super().__init__(message or MESSAGES.get(code, ""))
        self.code, self.message, self.status = code, message or MESSAGES.get(code, ""), status


# --------------------------------------------------------------------------- ids and records

def xsec_token(object_id: str) -> str:
    return "AB" + hashlib.blake2b(f"xsec:{object_id}".encode(), digest_size=24).hexdigest()


def comment_id(cid: str) -> str:
    """24 hex digits like an ObjectId: creation second, the world's tie-breaker, then noise."""
    ts, rest = divmod(int(cid), 1_000_000)
    return f"{ts:08x}{rest:08x}{_hash('xhs-cid', cid) % 16**8:08x}"


def _world_comment_id(text: str) -> str | None:
    try:
        if len(text) != 24:
            return None
        return str(int(text[:8], 16) * 1_000_000 + int(text[8:16], 16))
    except ValueError:
        return None


def _ip_location(account_id: str) -> str:
    return _PROVINCES[_hash("xhs-ip", account_id) % len(_PROVINCES)]


def _kol_user(kol: Kol) -> dict:
    return {"user_id": kol.account_id, "nickname": kol.handle, "xsec_token": xsec_token(kol.account_id),
            "avatar": f"https://sns-avatar-qc.xhscdn.com/avatar/{kol.account_id}.jpg"}


def _interact_info(world: World, post: Post, as_of: datetime) -> dict:
    c = world.counters(post, as_of)
    return {
        "liked": False,
        "liked_count": display_count(c.likes, post.post_id, "liked"),
        "collected": False,
        "collected_count": display_count(c.saves, post.post_id, "collected"),
        "comment_count": display_count(c.comments, post.post_id, "comment"),
        "share_count": display_count(c.shares, post.post_id, "share"),
    }


def _note(world: World, kol: Kol, post: Post, as_of: datetime) -> dict:
    return {
        "note_id": post.post_id,
        "xsec_token": xsec_token(post.post_id),
        "type": "video" if post.media_type in ("VIDEO", "LIVE") else "normal",
        "display_title": post.title,
        "time": _ms(post.created_at),
        "ip_location": _ip_location(kol.account_id),
        "user": _kol_user(kol),
        "interact_info": _interact_info(world, post, as_of),
        "cover": {"url_default": f"https://sns-webpic-qc.xhscdn.com/{post.post_id}/cover.jpg"},
    }


def _note_card(world: World, kol: Kol, post: Post, as_of: datetime) -> dict:
    card = _note(world, kol, post, as_of)
    card.pop("xsec_token")
    card |= {
        "title": post.title,
        "desc": post.text,
        "last_update_time": _ms(post.created_at),
        "tag_list": [{"id": f"{_hash('xhs-tag', post.topic) % 16**24:024x}", "name": post.topic, "type": "topic"}],
        "at_user_list": [],
        "share_info": {"un_share": False},
    }
    card["interact_info"] |= {"followed": False, "relation": "none"}
    if card["type"] == "video":
        card["video"] = {"capa": {"duration": post.duration_s}}
    else:
        card["image_list"] = [{"url_default": card["cover"]["url_default"], "width": 1080, "height": 1440}]
    return card


def _comment_user(c: Comment, kol: Kol) -> dict:
    if c.author is None:
        user = _kol_user(kol)
        return {"user_id": user["user_id"], "nickname": user["nickname"], "xsec_token": user["xsec_token"],
                "image": user["avatar"]}
    return {"user_id": c.author_id, "nickname": c.author_handle, "xsec_token": xsec_token(c.author_id),
            "image": c.author.avatar_url or DEFAULT_AVATAR}


def _comment(c: Comment, kol: Kol, by_id: dict[str, Comment]) -> dict:
    body = {
        "id": comment_id(c.comment_id),
        "note_id": c.post_id,
        "content": c.text,
        "create_time": _ms(c.created_at),
        "ip_location": _ip_location(c.author_id),
        "like_count": str(_hash("xhs-clike", c.comment_id) % 40),
        "liked": False,
        "status": 0,
        "user_info": _comment_user(c, kol),
        "show_tags": ["is_author"] if c.author is None else [],
        "at_users": [],
    }
    if c.reply_to_id is not None:
        parent = by_id[c.reply_to_id]
        body["target_comment"] = {"id": comment_id(parent.comment_id), "user_info": _comment_user(parent, kol)}
    return body


def _follower(f: Follower) -> dict:
    return {
        "user_id": f.account_id,
        "nickname": f.handle,
        "images": f.avatar_url or DEFAULT_AVATAR,
        "desc": f.bio,
        # Demo additions: the profile counts RED shows on a user page, and when the account was made.
        "fans": display_count_cn(f.followers),
        "follows": display_count_cn(f.following),
        "notes": display_count_cn(f.posts),
        "create_time": _ms(f.created_at),
    }


# --------------------------------------------------------------------------- lookups and paging

def _kol(api: Platform, user_id: str | None) -> Kol:
    kol = api.world.kol(user_id or "")
    if kol is None or kol.platform != "xiaohongshu":
        raise _Error(GENERIC, "用户不存在")
    return kol


def _post(api: Platform, note_id: str | None, as_of: datetime) -> tuple[Kol, Post]:
    post = api.world.post(note_id or "", "xiaohongshu")
    if post is None or post.created_at > as_of:
        raise _Error(NOTE_NOT_FOUND)
    return api.world.kol(post.account_id), post


def _after(items: list, ids: list[str], cursor: str, size: int) -> tuple[list, str, bool]:
    """RED's paging: the cursor is the last id of the previous page."""
    start = 0
    if cursor:
        if cursor not in ids:
            raise _Error(GENERIC, "参数错误: cursor")
        start = ids.index(cursor) + 1
    page = items[start : start + size]
    last = ids[start + len(page) - 1] if page else ""
    return page, last, start + size < len(items)


# --------------------------------------------------------------------------- the handler

def handle(api: Platform, req: Request) -> Response:
    try:
        if not req.headers.get("x-s"):
            raise _Error(SIGN_FAULT, status=406)  # the gateway rejects unsigned requests before the session
        session = cookie(req, "web_session")
        if not session:
            raise _Error(NO_LOGIN)
        if session != api.token:
            raise _Error(LOGIN_EXPIRED)
        day = export_day(req.params)
        as_of = end_of(day)
        world = api.world
        if req.path == "/api/sns/web/v1/user/otherinfo":
            kol = _kol(api, req.params.get("target_user_id"))
            return _ok({
                "basic_info": {"nickname": kol.handle, "red_id": str(_hash("red_id", kol.account_id) % 10**10),
                               "desc": f"{kol.niche} | 合作请私信", "gender": kol.index % 2,
                               "ip_location": _ip_location(kol.account_id), "images": _kol_user(kol)["avatar"],
                               "imageb": _kol_user(kol)["avatar"]},
                "interactions": [
                    {"type": "follows", "name": "关注", "count": display_count_cn(world.following_on(kol, day))},
                    {"type": "fans", "name": "粉丝", "count": display_count_cn(world.followers_on(kol, day))},
                ],
                "tags": [{"tagType": "location", "name": _ip_location(kol.account_id)}],
                "extra_info": {"fstatus": "none", "blockType": "DEFAULT"},
                "result": {"success": True, "code": 0, "message": "success"},
            })
        if req.path == "/api/sns/web/v1/user_posted":
            kol = _kol(api, req.params.get("user_id"))
            num = int_param(req.params, "num", 30, 30) or 30
            cursor = req.params.get("cursor", "")
            # Newest first. A cursor is a note id, whose first 8 hex digits are its creation time:
            # the walk starts on that day and goes back only as far as the page needs.
            start, after = day, None
            if cursor:
                mark = world.post(cursor, "xiaohongshu")
                if mark is None or mark.account_id != kol.account_id:
                    raise _Error(GENERIC, "参数错误: cursor")
                start, after = min(day, mark.created_at.date()), (mark.created_at, mark.post_id)
            collected: list[Post] = []
            d = start
            while d >= WORLD_EPOCH and len(collected) <= num:
                collected.extend(p for p in reversed(world.posts_created_on(kol, d))
                                 if after is None or (p.created_at, p.post_id) < after)
                d -= timedelta(days=1)
            page = collected[:num]
            return _ok({"notes": [_note(world, kol, p, as_of) for p in page],
                        "cursor": page[-1].post_id if page else "", "has_more": len(collected) > num})
        if req.path == "/api/sns/web/v1/feed":
            if req.method != "POST":
                raise _Error(GENERIC, "请求方法错误", status=405)
            body = req.json if isinstance(req.json, dict) and not req.json.get("__invalid_json__") else {}
            note_id = body.get("source_note_id")
            kol, post = _post(api, note_id if isinstance(note_id, str) else None, as_of)
            return _ok({"cursor_score": "", "current_time": _ms(as_of), "items": [
                {"id": post.post_id, "model_type": "note", "note_card": _note_card(world, kol, post, as_of)}]})
        if req.path in ("/api/sns/web/v2/comment/page", "/api/sns/web/v2/comment/sub/page"):
            kol, post = _post(api, req.params.get("note_id"), as_of)
            comments = world.comments_on(post, as_of)
            by_id = {c.comment_id: c for c in comments}
            subs: dict[str, list[Comment]] = {}
            for c in comments:
                if c.reply_to_id is not None:
                    subs.setdefault(c.reply_to_id, []).append(c)
            cursor = req.params.get("cursor", "")
            if req.path.endswith("/sub/page"):
                root = _world_comment_id(req.params.get("root_comment_id", ""))
                if root not in by_id:
                    raise _Error(GENERIC, "参数错误: root_comment_id")
                chosen = subs.get(root, [])
                num = int_param(req.params, "num", 10, 30) or 10
                page, last, more = _after(chosen, [comment_id(c.comment_id) for c in chosen], cursor, num)
                return _ok({"comments": [_comment(c, kol, by_id) for c in page], "cursor": last, "has_more": more})
            roots = [c for c in reversed(comments) if c.reply_to_id is None]
            num = int_param(req.params, "num", 10, 30) or 10
            page, last, more = _after(roots, [comment_id(c.comment_id) for c in roots], cursor, num)
            items = []
            for c in page:
                replies = subs.get(c.comment_id, [])
                items.append(_comment(c, kol, by_id) | {
                    "sub_comment_count": str(len(replies)),
                    "sub_comments": [_comment(r, kol, by_id) for r in replies],
                    "sub_comment_cursor": comment_id(replies[-1].comment_id) if replies else "",
                    "sub_comment_has_more": False,
                })
            return _ok({"comments": items, "cursor": last, "has_more": more, "time": _ms(as_of),
                        "xsec_token": xsec_token(post.post_id)})
        if req.path == "/api/sns/web/v1/user/audience_sample":
            kol = _kol(api, req.params.get("user_id"))
            sample = api.world.audience_sample(kol, day)
            num = int_param(req.params, "num", 20, 50) or 20
            page, last, more = _after(sample, [f.account_id for f in sample], req.params.get("cursor", ""), num)
            return _ok({"users": [_follower(f) for f in page], "cursor": last, "has_more": more})
        raise _Error(GENERIC, f"unknown path {req.path}", status=404)
    except _Error as e:
        return Response(e.status, error_envelope(req, e.code, e.message))
    except BadRequest as e:
        return Response(200, error_envelope(req, GENERIC, e.message))


# --------------------------------------------------------------------------- fault dialect

def _item_time(item: dict) -> datetime | None:
    if not isinstance(item, dict):
        return None
    card = item.get("note_card") if isinstance(item.get("note_card"), dict) else item
    ms = card.get("time", card.get("create_time"))
    if isinstance(ms, bool) or not isinstance(ms, int):
        return None
    try:
        return datetime.fromtimestamp(ms / 1000, timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None


def _next_cursor(body: dict) -> str | None:
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict) or not data.get("has_more") or not data.get("cursor"):
        return None
    return str(data["cursor"])


FAULT_DIALECT = FaultDialect(
    envelope=error_envelope,
    throttle_codes={IP_RISK: MESSAGES[IP_RISK], ACCESS_FREQUENCY: MESSAGES[ACCESS_FREQUENCY]},
    default_throttle=ACCESS_FREQUENCY,
    http_429=(ACCESS_FREQUENCY, MESSAGES[ACCESS_FREQUENCY], {}),
    transient=(GENERIC, "服务异常，请稍后重试", {}),
    expired=(LOGIN_EXPIRED, MESSAGES[LOGIN_EXPIRED], {}),
    list_keys=("data.notes", "data.comments", "data.items", "data.users"),
    cursor_params=("cursor",),
    new_field=("sticky", False),
    # Already display strings on RED: the string_count drift finds no int to change.
    count_fields=("interact_info.liked_count", "interact_info.collected_count", "interact_info.comment_count",
                  "interact_info.share_count", "like_count"),
    display_count=display_count_cn,
    optional_fields=("ip_location", "cover", "desc", "images"),
    item_time=_item_time,
    next_cursor=_next_cursor,
    expired_status=200,
)


# --------------------------------------------------------------------------- creator dashboard export

EXPORT_HEADER = ("账号ID", "小红书昵称", "笔记ID", "笔记标题", "首次发布时间", "体裁",
                 "观看量", "点赞", "评论", "收藏", "分享")


def export_files(world: World, day: date) -> dict[str, bytes]:
    """The creator platform's note data export (笔记数据) for ``day``: every RED KOL's notes of the
    last seven days with exact counts as of the end of the day, Beijing time, UTF-8 with BOM."""
    as_of = end_of(day)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(EXPORT_HEADER)
    for kol in world.kols("xiaohongshu"):
        for post in world.posts_between(kol, day - timedelta(days=TRACKING_DAYS - 1), day):
            c = world.counters(post, as_of)
            writer.writerow((kol.account_id, kol.handle, post.post_id, post.title,
                             post.created_at.astimezone(CST).strftime("%Y-%m-%d %H:%M:%S"),
                             "视频" if post.media_type in ("VIDEO", "LIVE") else "图文",
                             c.views, c.likes, c.comments, c.saves, c.shares))
    return {f"xiaohongshu_notes_{day.isoformat()}.csv": out.getvalue().encode("utf-8-sig")}
