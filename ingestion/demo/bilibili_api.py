"""Demo Bilibili web API (``api.bilibili.com``): the ``{code, message, ttl, data}``
envelope with errors in HTTP 200 bodies, ``SESSDATA`` cookie login, WBI-signed
queries (``w_rid`` + ``wts``) on ``/wbi/`` paths, epoch-second times, ``aid`` ints
beside ``bvid`` strings, ``pn``/``ps`` page numbers, ``length`` as ``"MM:SS"`` and
``stat.dislike`` always 0.

Where the shapes come from (``docs/demo-api/bilibili.md`` has the details):
- community-documented (SocialSisterYi/bilibili-API-collect): every path served,
  ``/x/space/wbi/arc/search``, ``/x/web-interface/view``, ``/x/web-interface/card``,
  ``/x/relation/stat``, ``/x/v2/reply``, ``/x/v2/reply/reply`` and ``/x/relation/fans``;
  the codes -101 (not logged in), -400, -403, -404, -412, -352, -509, -799, 62002,
  62004; the av/BV conversion (``bvid`` is the real reversible encoding of ``aid``);
- demo choices: a video is "under review" (62004) from its upload until its publish
  time, and an id of this world's format with no video behind it is a deleted video
  (62002); ``page.count`` is the profile's video count (``card.archive_count``), a
  closed form that does not match the list's length: page until a short list;
  ``tlist`` is empty and ``like_num`` is absent, since both would total a history;
- demo additions: profile fields on ``/x/relation/fans`` items (``follower``,
  ``following``, ``archive_count``, ``jointime``) for the audience sample, and the
  ``export_date`` parameter.
"""
from __future__ import annotations

import csv
import hashlib
import io
from datetime import date, datetime, timedelta, timezone

from ingestion.demo.api_common import (
    BadRequest, FaultDialect, Platform, Request, Response, cookie, display_count_cn, end_of, epoch_seconds,
    export_day, int_param,
)
from ingestion.demo.world import TRACKING_DAYS, WORLD_EPOCH, Comment, Follower, Kol, Post, World

CST = timezone(timedelta(hours=8))

NOT_LOGGED_IN = -101
BAD_REQUEST = -400
FORBIDDEN = -403
NOT_FOUND = -404
BLOCKED = -412
RISK_CONTROL = -352
SERVER_ERROR = -500
TOO_FREQUENT = -509
TOO_FREQUENT_799 = -799
NOT_VISIBLE = 62002
UNDER_REVIEW = 62004
MESSAGES = {
    NOT_LOGGED_IN: "账号未登录", BAD_REQUEST: "请求错误", FORBIDDEN: "访问权限不足", NOT_FOUND: "啥都木有",
    BLOCKED: "请求被拦截", RISK_CONTROL: "风控校验失败", SERVER_ERROR: "服务器错误",
    TOO_FREQUENT: "请求过于频繁，请稍后再试", TOO_FREQUENT_799: "请求过于频繁，请稍后再试",
    NOT_VISIBLE: "稿件不可见", UNDER_REVIEW: "稿件审核中",
}
NOFACE = "https://i0.hdslb.com/bfs/face/member/noface.jpg"  # Bilibili's avatar for users without one
REVIEW_HOURS = 24  # an upload is under review for at most this long before it is published
_TNAME = {"beauty": (157, "美妆护肤"), "fashion": (158, "穿搭"), "food": (76, "美食制作"), "travel": (250, "出行"),
          "tech": (95, "数码"), "gaming": (17, "单机游戏"), "finance": (207, "财经商业"), "parenting": (254, "亲子"),
          "fitness": (164, "健身")}

# The av/BV conversion Bilibili uses since 2024 (bilibili-API-collect): aid < 2**51.
_XOR, _MASK, _MAX_AID = 23442827791579, 2**51 - 1, 2**51
_ALPHABET = "FcwAPNKTMug3GV5Lj7EJnHpWsx4tb8haYeviqBz6rkCy12mUSDQX9RdoZf"
_SLOTS = (8, 7, 0, 5, 1, 3, 2, 4, 6)


def av2bv(aid: int) -> str:
    chars = [""] * 9
    n = (_MAX_AID | aid) ^ _XOR
    for slot in _SLOTS:
        chars[slot] = _ALPHABET[n % 58]
        n //= 58
    return "BV1" + "".join(chars)


def bv2av(bvid: str) -> int:
    if len(bvid) != 12 or not bvid.upper().startswith("BV1"):
        raise ValueError(bvid)
    n = 0
    for slot in reversed(_SLOTS):
        n = n * 58 + _ALPHABET.index(bvid[3:][slot])
    return (n & _MASK) ^ _XOR


def _hash(*parts: object) -> int:
    return int.from_bytes(hashlib.blake2b(repr(parts).encode(), digest_size=8).digest(), "big")


def _unit(*parts: object) -> float:
    return _hash(*parts) / 2**64


def length(seconds: int) -> str:
    # Minutes are not wrapped into hours: a two-hour live replay is "120:05".
    return f"{seconds // 60:02d}:{seconds % 60:02d}"


class _Error(Exception):
    def __init__(self, code: int, message: str | None = None, status: int = 200, data: object = None):
        super().__init__(message or MESSAGES.get(code, ""))
        self.code, self.message, self.status, self.data = code, message or MESSAGES.get(code, ""), status, data


def _ok(data: object) -> Response:
    return Response(200, {"code": 0, "message": "0", "ttl": 1, "data": data})


def error_envelope(req: Request, code: int, message: str, **extra: object) -> dict:
    """Bilibili's error body; risk control (-352) carries a ``v_voucher`` for the captcha.
    The fault injector renders its faults with it too."""
    body: dict = {"code": code, "message": message, "ttl": 1}
    if code == RISK_CONTROL and "data" not in extra:
        body["data"] = {"v_voucher": "voucher_" + hashlib.blake2b(req.path.encode(), digest_size=16).hexdigest()}
    return body | extra


# --------------------------------------------------------------------------- counters

def _stat(world: World, post: Post, as_of: datetime) -> dict:
    c = world.counters(post, as_of)
    # Danmaku and coins are not in the world: fixed shares of views and likes, so they grow with them.
    return {
        "aid": int(post.post_id),
        "view": c.views,
        "danmaku": int(c.views * (0.002 + 0.008 * _unit("danmaku", post.post_id))),
        "reply": c.comments,
        "favorite": c.saves,
        "coin": int(c.likes * (0.1 + 0.3 * _unit("coin", post.post_id))),
        "share": c.shares,
        "now_rank": 0,
        "his_rank": 0,
        "like": c.likes,
        "dislike": 0,
        "evaluation": "",
        "vt": 0,
    }


def _pic(post: Post) -> str:
    return f"http://i0.hdslb.com/bfs/archive/{hashlib.sha1(post.post_id.encode()).hexdigest()}.jpg"


def _face(kol: Kol) -> str:
    return f"https://i0.hdslb.com/bfs/face/{hashlib.sha1(kol.account_id.encode()).hexdigest()}.jpg"


def _vlist_item(world: World, kol: Kol, post: Post, as_of: datetime) -> dict:
    stat = _stat(world, post, as_of)
    tid, _ = _TNAME.get(post.topic, (21, "日常"))
    return {
        "comment": stat["reply"], "typeid": tid, "play": stat["view"], "pic": _pic(post), "subtitle": "",
        "description": post.text, "copyright": "1", "title": post.title, "review": 0, "author": kol.handle,
        "mid": int(kol.account_id), "created": int(post.created_at.timestamp()), "length": length(post.duration_s),
        "video_review": stat["danmaku"], "aid": int(post.post_id), "bvid": av2bv(int(post.post_id)),
        "hide_click": False, "is_pay": 0, "is_union_video": 0, "is_steins_gate": 0,
        "is_live_playback": int(post.media_type == "LIVE"), "meta": None, "is_avoided": 0, "attribute": 0,
        "is_charging_arc": False, "vt": 0, "enable_vt": 0, "vt_display": "", "playback_position": 0,
    }


def _view(world: World, kol: Kol, post: Post, as_of: datetime) -> dict:
    tid, tname = _TNAME.get(post.topic, (21, "日常"))
    pubdate = int(post.created_at.timestamp())
    return {
        "bvid": av2bv(int(post.post_id)), "aid": int(post.post_id), "videos": 1, "tid": tid, "tname": tname,
        "copyright": 1, "pic": _pic(post), "title": post.title,
        "pubdate": pubdate, "ctime": pubdate - _upload_lead(post),
        "desc": post.text, "state": 0, "duration": post.duration_s,
        "owner": {"mid": int(kol.account_id), "name": kol.handle, "face": _face(kol)},
        "stat": _stat(world, post, as_of),
        "dynamic": "", "cid": 10_000_000_000 + _hash("cid", post.post_id) % 10**10,
        "is_story": False, "is_upower_exclusive": False,
    }


def _upload_lead(post: Post) -> int:
    """Seconds between upload (ctime) and publication (pubdate): the review."""
    return 300 + _hash("review", post.post_id) % (REVIEW_HOURS * 3600 - 300)


def _level(created: datetime, as_of: datetime) -> int:
    return max(0, min(6, (as_of - created).days // 180))


def _member(mid: str, uname: str, face: str | None, sign: str, level: int) -> dict:
    return {"mid": mid, "uname": uname, "sex": "保密", "sign": sign, "avatar": face or NOFACE,
            "level_info": {"current_level": level}, "vip": {"vipType": 0, "vipStatus": 0},
            "official_verify": {"type": -1, "desc": ""}}


def _reply(c: Comment, kol: Kol, aid: int, root: Comment | None, n_sub: int, as_of: datetime) -> dict:
    if c.author is None:
        member = _member(kol.account_id, kol.handle, _face(kol), f"{kol.niche} UP主", 6)
    else:
        member = _member(c.author_id, c.author_handle, c.author.avatar_url, c.author.bio,
                         _level(c.author.created_at, as_of))
    rpid = int(c.comment_id)
    root_id = int(root.comment_id) if root is not None else 0
    return {
        "rpid": rpid, "oid": aid, "type": 1, "mid": int(c.author_id), "root": root_id, "parent": root_id,
        "dialog": rpid if root is not None else 0, "count": n_sub, "rcount": n_sub, "state": 0,
        "fansgrade": 0, "attr": 0, "ctime": int(c.created_at.timestamp()), "rpid_str": str(rpid),
        "root_str": str(root_id), "parent_str": str(root_id), "like": _hash("like", c.comment_id) % 50,
        "action": 0, "member": member,
        "content": {"message": c.text, "members": [], "jump_url": {}, "max_line": 6},
        "replies": None,
    }


def _fan(f: Follower, kol: Kol, as_of: datetime) -> dict:
    # Follow time: after both accounts existed, fixed by the pair, never after the export day.
    base = max(f.created_at, kol.created_at)
    followed = min(as_of, base + timedelta(seconds=_hash("follow", kol.account_id, f.account_id) % (60 * 86_400)))
    return {
        "mid": int(f.account_id), "attribute": 0, "mtime": int(followed.timestamp()), "tag": None, "special": 0,
        "contract_info": {}, "uname": f.handle, "face": f.avatar_url or NOFACE, "sign": f.bio, "face_nft": 0,
        "official_verify": {"type": -1, "desc": ""}, "vip": {"vipType": 0, "vipStatus": 0},
        # Demo additions: profile signals of the audience sample (jointime is 0 on the real platform).
        "follower": f.followers, "following": f.following, "archive_count": f.posts,
        "jointime": int(f.created_at.timestamp()),
    }


# --------------------------------------------------------------------------- lookups

def _kol(api: Platform, mid: str | None) -> Kol:
    if not mid:
        raise _Error(BAD_REQUEST)
    kol = api.world.kol(mid)
    if kol is None or kol.platform != "bilibili":
        raise _Error(NOT_FOUND)
    return kol


def _video(api: Platform, req: Request, as_of: datetime) -> tuple[Kol, Post]:
    raw_aid, bvid = req.params.get("aid"), req.params.get("bvid")
    try:
        aid = bv2av(bvid) if bvid else int(raw_aid or "")
    except ValueError:
        raise _Error(BAD_REQUEST) from None
    return _by_aid(api, aid, as_of)


def _by_aid(api: Platform, aid: int, as_of: datetime) -> tuple[Kol, Post]:
    decoded = api.world.ids.decode("bilibili", str(aid)) if aid > 0 else None
    if decoded is None:
        raise _Error(NOT_FOUND)
    kols = api.world.kols("bilibili")
    index, day, _ = decoded
    if not 0 <= index < len(kols) or day < WORLD_EPOCH:
        raise _Error(NOT_FOUND)
    post = api.world.post(str(aid), "bilibili")
    if post is None:
        if day <= as_of.date():
            raise _Error(NOT_VISIBLE)  # an id this account's channel once had: a deleted video
        raise _Error(NOT_FOUND)
    if post.created_at > as_of:
        if post.created_at - timedelta(seconds=_upload_lead(post)) <= as_of:
            raise _Error(UNDER_REVIEW)  # uploaded, not yet published
        raise _Error(NOT_FOUND)
    return kols[index], post


# --------------------------------------------------------------------------- the handler

def handle(api: Platform, req: Request) -> Response:
    try:
        if cookie(req, "SESSDATA") != api.token:
            raise _Error(NOT_LOGGED_IN)
        if "/wbi/" in req.path and not (req.params.get("w_rid") and req.params.get("wts")):
            raise _Error(FORBIDDEN)  # WBI endpoints refuse unsigned queries
        day = export_day(req.params)
        as_of = end_of(day)
        world = api.world
        if req.path == "/x/space/wbi/arc/search":
            kol = _kol(api, req.params.get("mid"))
            if req.params.get("order", "pubdate") != "pubdate" or req.params.get("tid", "0") != "0":
                raise _Error(BAD_REQUEST, "demo: only order=pubdate and tid=0")
            pn = max(1, int_param(req.params, "pn", 1, 10_000))
            ps = int_param(req.params, "ps", 30, 50) or 30
            # Newest first; page numbers mean walking back until this page is full, no further.
            need = pn * ps
            items: list[dict] = []
            d = day
            while d >= WORLD_EPOCH and len(items) < need:
                todays = [_vlist_item(world, kol, p, as_of) for p in reversed(world.posts_created_on(kol, d))]
                # Late rows (a fault the injector asks for) are left out before paging, as the platform would.
                items.extend(i for i in todays if req.item_filter is None or req.item_filter(i))
                d -= timedelta(days=1)
            return _ok({
                "list": {"tlist": {}, "vlist": items[(pn - 1) * ps : need], "slist": []},
                "page": {"pn": pn, "ps": ps, "count": world.posts_count_on(kol, day)},
                "episodic_button": {"text": "播放全部",
                                    "uri": f"//www.bilibili.com/medialist/play/{kol.account_id}?from=space"},
                "is_risk": False, "gaia_res_type": 0, "gaia_data": None,
            })
        if req.path == "/x/web-interface/view":
            kol, post = _video(api, req, as_of)
            return _ok(_view(world, kol, post, as_of))
        if req.path == "/x/web-interface/card":
            kol = _kol(api, req.params.get("mid"))
            fans, following = world.followers_on(kol, day), world.following_on(kol, day)
            return _ok({
                "card": {"mid": kol.account_id, "name": kol.handle, "approve": False, "sex": "保密", "rank": "10000",
                         "face": _face(kol), "DisplayRank": "0", "regtime": 0, "spacesta": 0, "birthday": "",
                         "place": "", "description": "", "article": 0, "attentions": [], "fans": fans,
                         "friend": following, "attention": following, "sign": f"{kol.niche} UP主 | 商务合作请私信",
                         "level_info": {"current_level": 6}, "official_verify": {"type": -1, "desc": ""},
                         "vip": {"vipType": 0, "vipStatus": 0}},
                "following": False, "archive_count": world.posts_count_on(kol, day), "article_count": 0,
                "follower": fans,
            })
        if req.path == "/x/relation/stat":
            kol = _kol(api, req.params.get("vmid"))
            return _ok({"mid": int(kol.account_id), "following": world.following_on(kol, day), "whisper": 0,
                        "black": 0, "follower": world.followers_on(kol, day)})
        if req.path in ("/x/v2/reply", "/x/v2/reply/reply"):
            if req.params.get("type") != "1":
                raise _Error(BAD_REQUEST)
            try:
                aid = int(req.params.get("oid", ""))
            except ValueError:
                raise _Error(BAD_REQUEST) from None
            kol, post = _by_aid(api, aid, as_of)
            comments = world.comments_on(post, as_of)
            subs: dict[str, list[Comment]] = {}
            for c in comments:
                if c.reply_to_id is not None:
                    subs.setdefault(c.reply_to_id, []).append(c)
            pn = max(1, int_param(req.params, "pn", 1, 10_000))
            ps = int_param(req.params, "ps", 20, 49) or 20
            if req.path == "/x/v2/reply/reply":
                root = next((c for c in comments if req.params.get("root") == c.comment_id), None)
                if root is None or root.reply_to_id is not None:
                    raise _Error(NOT_FOUND)
                chosen = subs.get(root.comment_id, [])
                page = [_reply(c, kol, aid, root, 0, as_of) for c in chosen[(pn - 1) * ps : pn * ps]]
                return _ok({"page": {"num": pn, "size": ps, "count": len(chosen)},
                            "replies": page or None,
                            "root": _reply(root, kol, aid, None, len(chosen), as_of),
                            "upper": {"mid": int(kol.account_id)}})
            roots = [c for c in reversed(comments) if c.reply_to_id is None]  # sort=0: newest first
            page = []
            for c in roots[(pn - 1) * ps : pn * ps]:
                under = subs.get(c.comment_id, [])
                item = _reply(c, kol, aid, None, len(under), as_of)
                # The first three replies ride along with their root, as on the real page.
                item["replies"] = [_reply(r, kol, aid, c, 0, as_of) for r in under[:3]] or None
                item["up_action"] = {"like": False, "reply": any(r.author is None for r in under)}
                page.append(item)
            return _ok({"page": {"num": pn, "size": ps, "count": len(roots), "acount": len(comments)},
                        "replies": page or None,  # null, not [], past the last page
                        "upper": {"mid": int(kol.account_id)}, "top": None})
        if req.path == "/x/relation/fans":
            kol = _kol(api, req.params.get("vmid"))
            sample = world.audience_sample(kol, day)
            pn = max(1, int_param(req.params, "pn", 1, 10_000))
            ps = int_param(req.params, "ps", 50, 50) or 50
            return _ok({"list": [_fan(f, kol, as_of) for f in sample[(pn - 1) * ps : pn * ps]], "re_version": 0,
                        "total": world.followers_on(kol, day)})
        raise _Error(NOT_FOUND, status=404)
    except _Error as e:
        extra = {} if e.data is None else {"data": e.data}
        return Response(e.status, error_envelope(req, e.code, e.message, **extra))
    except BadRequest as e:
        return Response(200, error_envelope(req, BAD_REQUEST, e.message))


# --------------------------------------------------------------------------- fault dialect

def _item_time(item: dict) -> datetime | None:
    if not isinstance(item, dict):
        return None
    return epoch_seconds(next((item[k] for k in ("created", "ctime", "pubdate") if k in item), None))


def _next_cursor(body: dict) -> str | None:
    """The next ``pn`` while the page is full. Comments also stop at ``page.count``; the space
    list does not, since its count is the profile's video count, not the list's length."""
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict) or not isinstance(data.get("page"), dict):
        return None
    page = data["page"]
    if isinstance(data.get("list"), dict):
        pn, ps, items = page.get("pn"), page.get("ps"), data["list"].get("vlist") or []
        more = True
    else:
        pn, ps, items = page.get("num"), page.get("size"), data.get("replies") or []
        more = isinstance(page.get("count"), int) and isinstance(pn, int) and isinstance(ps, int) \
            and pn * ps < page["count"]
    if not isinstance(pn, int) or not isinstance(ps, int):
        return None
    return str(pn + 1) if more and len(items) == ps else None


FAULT_DIALECT = FaultDialect(
    envelope=error_envelope,
    throttle_codes={BLOCKED: MESSAGES[BLOCKED], RISK_CONTROL: MESSAGES[RISK_CONTROL],
                    TOO_FREQUENT: MESSAGES[TOO_FREQUENT], TOO_FREQUENT_799: MESSAGES[TOO_FREQUENT_799]},
    default_throttle=BLOCKED,
    http_429=(TOO_FREQUENT, MESSAGES[TOO_FREQUENT], {}),
    transient=(SERVER_ERROR, MESSAGES[SERVER_ERROR], {}),
    expired=(NOT_LOGGED_IN, MESSAGES[NOT_LOGGED_IN], {}),
    list_keys=("data.list.vlist", "data.replies", "data.list"),
    cursor_params=("pn",),
    page_numbered=True,
    new_field=("is_lesson_video", 0),
    count_fields=("play", "comment", "video_review", "stat.view", "stat.like", "stat.reply", "fans", "follower"),
    display_count=display_count_cn,
    optional_fields=("description", "pic", "sign", "face"),
    item_time=_item_time,
    next_cursor=_next_cursor,
    expired_status=200,
)


# --------------------------------------------------------------------------- creator dashboard export

EXPORT_HEADER = ("UP主UID", "UP主昵称", "稿件标题", "BV号", "AV号", "发布时间", "时长",
                 "播放", "弹幕", "评论", "点赞", "投币", "收藏", "分享")


def export_files(world: World, day: date) -> dict[str, bytes]:
    """The creator center's archive data export (稿件数据) for ``day``: every Bilibili KOL's videos
    of the last seven days, counters as of the end of the day, Beijing time, UTF-8 with BOM."""
    as_of = end_of(day)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(EXPORT_HEADER)
    for kol in world.kols("bilibili"):
        for post in world.posts_between(kol, day - timedelta(days=TRACKING_DAYS - 1), day):
            s = _stat(world, post, as_of)
            writer.writerow((kol.account_id, kol.handle, post.title, av2bv(int(post.post_id)), post.post_id,
                             post.created_at.astimezone(CST).strftime("%Y-%m-%d %H:%M:%S"), length(post.duration_s),
                             s["view"], s["danmaku"], s["reply"], s["like"], s["coin"], s["favorite"], s["share"]))
    return {f"bilibili_archives_{day.isoformat()}.csv": out.getvalue().encode("utf-8-sig")}
