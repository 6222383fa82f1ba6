"""Demo WeChat Official Account API (``api.weixin.qq.com``): the ``datacube``
statistics endpoints (POST, a JSON date window, no cursor), article comments and
the follower list, with WeChat's ``{"errcode", "errmsg"}`` errors in HTTP 200.

Reproduced from the official documentation:

- ``access_token`` is a query parameter; a missing one is ``41001``, a wrong one
  ``40001``, an expired one ``42001``, all in HTTP 200 bodies (WeChat never uses
  the HTTP status for API errors). ``errmsg`` ends in ``rid: ...``, a request id.
- ``datacube`` windows: ``{"begin_date", "end_date"}`` as ``YYYY-MM-DD``; at most
  1 day for ``getarticlesummary`` / ``getarticletotal``, 7 for
  ``getusersummary`` / ``getusercumulate``; ``end_date`` at most yesterday;
  violations are ``61501 date range error``, a malformed date ``61500``.
- ``getarticlesummary`` gives, for one day, every pushed article read that day and
  *that day's* numbers (not totals); articles are counted only in the 7 days after
  their push. Rows whose reads + shares + favourites add up to fewer than 3 are
  left out, as the real export leaves them out.
- ``msgid`` is ``"<msg_data_id>_<n>"`` with ``n`` counted **from 1**, while
  ``cgi-bin/comment/list`` takes ``index`` counted **from 0**: the same article is
  ``msgid "2650123_2"`` and ``{"msg_data_id": 2650123, "index": 1}``.
- comments: ``begin`` / ``count`` offsets (``count`` at most 50, ``88010``
  otherwise), ``user_comment_id`` numbered per article, the account's answer
  nested as ``reply{content, create_time}``; epoch seconds.
- ``cgi-bin/user/get``: openids only, ``next_openid`` paging; the last page still
  carries a ``next_openid`` and the call after it answers ``count: 0`` with
  ``next_openid: ""``.

Community-documented: ``getarticletotal``'s ``details[]`` (cumulative per
``stat_date``, up to 7 days after the push) and the ``user_source`` codes of
``getusersummary``.

Demo additions (documented in ``docs/demo-api/wechat.md``):

- ``account_id`` (query): a real token belongs to one account; the demo's single
  token acts for the official account whose original id (``gh_...``) this names.
  Missing: ``41002``, unknown: ``40013``.
- ``export_date`` (query): the finished day the demo plays "today minus one" for,
  so ``end_date`` may not pass it; ``cgi-bin`` endpoints answer as of its end.
- ``cgi-bin/user/info/batchget`` is real, but real WeChat stopped serving
  nicknames and avatars in 2021 and never served follower counts: the demo adds
  ``nickname``, ``headimgurl``, ``signature``, ``follower_count``,
  ``following_count``, ``post_count`` and ``account_create_time`` so that the
  audience can be profiled at all. It answers for the demo's named audience
  (the accounts the world keeps profiles of), and ``user/get`` lists the day's
  audience sample only, while its ``total`` is the real follower count.
- Days are UTC days (real WeChat counts Beijing days).
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

CST = timezone(timedelta(hours=8))
MAX_SPAN = {"getarticlesummary": 1, "getarticletotal": 1, "getusersummary": 7, "getusercumulate": 7}
# getusersummary's user_source codes: other, search, name-card share, QR code, account name in an article.
NEW_USER_SOURCES = (0, 1, 17, 30, 57)
COMMENT_MAX_COUNT = 50
USER_GET_PAGE = 10_000  # user/get's fixed page size


class WxError(Exception):
    """A WeChat error: ``errcode`` and ``errmsg`` in an HTTP 200 body."""

    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code, self.message = code, message


def _unit(*parts: object) -> float:
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def _rid(req: Request) -> str:
    # WeChat stamps each errmsg with a request id; here a digest of the request, so bodies stay byte-stable.
    params = sorted((k, v) for k, v in req.params.items() if k != "access_token")
    key = json.dumps([req.method, req.path, params, req.json], sort_keys=True, ensure_ascii=False, default=str)
    h = hashlib.blake2b(key.encode(), digest_size=12).hexdigest()
    return f"{h[:8]}-{h[8:16]}-{h[16:24]}"


def error_envelope(req: Request, code: int, message: str, **extra: object) -> dict:
    """WeChat's error body; the fault injector (``faults.py``) renders its faults with it too."""
    return {"errcode": code, "errmsg": f"{message} rid: {_rid(req)}", **extra}


# --------------------------------------------------------------------------- the account and its articles

def _kol(api: Platform, req: Request) -> Kol:
    account = req.params.get("account_id")
    if not account:
        raise WxError(41002, "appid missing (demo: pass account_id, the official account's gh_ id)")
    kol = api.world.kol(account)
    if kol is None or kol.platform != "wechat":
        raise WxError(40013, "invalid appid")
    return kol


def _read_user_share(post: Post) -> float:
    return 0.82 + 0.13 * _unit("read_user", post.post_id)  # some readers read twice


def _has_original_link(post: Post) -> bool:
    return post.sponsored  # "阅读原文" links mostly lead to a partner's page


def _stats(post: Post, reads: int, shares: int, saves: int) -> dict:
    def users(n: int, share: float) -> int:
        return min(n, max(1 if n else 0, int(n * share)))

    ori = int(reads * 0.03) if _has_original_link(post) else 0
    return {
        "int_page_read_user": users(reads, _read_user_share(post)),
        "int_page_read_count": reads,
        "ori_page_read_user": users(ori, 0.9),
        "ori_page_read_count": ori,
        "share_user": users(shares, 0.75 + 0.2 * _unit("share_user", post.post_id)),
        "share_count": shares,
        "add_to_fav_user": users(saves, 0.97),
        "add_to_fav_count": saves,
    }


def _kept(stats: dict) -> bool:
    # The real export leaves out articles with fewer than 3 reads + shares + favourites.
    return stats["int_page_read_count"] + stats["share_count"] + stats["add_to_fav_count"] >= 3


def _article_summary(api: Platform, kol: Kol, ref: date) -> list[dict]:
    """Every article read on ``ref``, with that day's numbers (increments, not totals)."""
    out = []
    for post in api.world.posts_between(kol, ref - timedelta(days=TRACKING_DAYS - 1), ref):
        now, before = api.world.counters(post, end_of(ref)), api.world.counters(post, end_of(ref - timedelta(days=1)))
        stats = _stats(post, now.views - before.views, now.shares - before.shares, now.saves - before.saves)
        if _kept(stats):
            out.append({"ref_date": ref.isoformat(), "msgid": post.post_id, "title": post.title, **stats})
    return out


def _article_total(api: Platform, kol: Kol, ref: date, cap: date) -> list[dict]:
    """Articles pushed on ``ref``, each with cumulative ``details`` per day for up to 7 days."""
    out = []
    target = api.world.followers_on(kol, ref)
    for post in api.world.posts_created_on(kol, ref):
        details = []
        stat = ref
        while stat <= min(cap, ref + timedelta(days=TRACKING_DAYS - 1)):
            c = api.world.counters(post, end_of(stat))
            details.append({"stat_date": stat.isoformat(), "target_user": target,
                            **_stats(post, c.views, c.shares, c.saves)})
            stat += timedelta(days=1)
        if details and _kept(details[-1]):
            out.append({"ref_date": ref.isoformat(), "msgid": post.post_id, "title": post.title,
                        "details": details})
    return out


def _user_summary(api: Platform, kol: Kol, ref: date) -> list[dict]:
    now = api.world.followers_on(kol, ref)
    before = api.world.followers_on(kol, ref - timedelta(days=1)) if ref > WORLD_EPOCH else now
    net = now - before
    churn = int(before * (0.0002 + 0.0006 * _unit("churn", kol.account_id, ref)))
    new, cancel = max(net, 0) + churn, max(-net, 0) + churn
    # Split the day's new followers over where they came from; "other" (0) takes the remainder.
    split = {s: int(new * 0.25 * _unit("source", kol.account_id, ref, s)) for s in NEW_USER_SOURCES[1:]}
    rows = [{"ref_date": ref.isoformat(), "user_source": 0, "new_user": new - sum(split.values()),
             "cancel_user": cancel}]
    rows += [{"ref_date": ref.isoformat(), "user_source": s, "new_user": n, "cancel_user": 0}
             for s, n in split.items() if n]
    return rows


def _window(req: Request, endpoint: str, cap: date) -> list[date]:
    body = req.json or {}
    if body.get("__invalid_json__"):
        raise WxError(47001, "data format error")
    if not body:
        raise WxError(44002, "empty post data")
    if "begin_date" not in body or "end_date" not in body:
        raise WxError(47001, "data format error")
    try:
        begin, end = date.fromisoformat(str(body["begin_date"])), date.fromisoformat(str(body["end_date"]))
    except ValueError:
        raise WxError(61500, "date format error") from None
    if begin > end or end > cap or (end - begin).days + 1 > MAX_SPAN[endpoint]:
        raise WxError(61501, "date range error")
    days = (begin + timedelta(days=i) for i in range((end - begin).days + 1))
    return [d for d in days if d >= WORLD_EPOCH]


def _datacube(api: Platform, req: Request, endpoint: str, kol: Kol, cap: date) -> dict:
    days = _window(req, endpoint, cap)
    rows: list[dict] = []
    for ref in days:
        if endpoint == "getarticlesummary":
            rows += _article_summary(api, kol, ref)
        elif endpoint == "getarticletotal":
            rows += _article_total(api, kol, ref, cap)
        elif endpoint == "getusersummary":
            rows += _user_summary(api, kol, ref)
        else:
            rows.append({"ref_date": ref.isoformat(), "user_source": 0,
                         "cumulate_user": api.world.followers_on(kol, ref)})
    return {"list": rows}


# --------------------------------------------------------------------------- comments

def _elected(c: Comment, answered: bool) -> bool:
    # Comments show publicly once the account "elects" them; the ones it answers are elected.
    return answered or _unit("elected", c.comment_id) < 0.6


def _comments(api: Platform, req: Request, kol: Kol, as_of: datetime) -> dict:
    body = req.json or {}
    if body.get("__invalid_json__"):
        raise WxError(47001, "data format error")
    try:
        msg_data_id = int(body["msg_data_id"])
        index = int(body.get("index", 0))  # counted from 0, unlike msgid's suffix
        begin = int(body.get("begin", 0))
        count = int(body["count"])
        kind = int(body.get("type", 0))
    except (KeyError, TypeError, ValueError):
        raise WxError(47001, "data format error") from None
    if count <= 0 or count > COMMENT_MAX_COUNT:
        raise WxError(88010, "count range error. cout <= 0 or count > 50")
    if begin < 0 or index < 0 or kind not in (0, 1, 2):
        raise WxError(40097, "invalid args")
    post = api.world.post(f"{msg_data_id}_{index + 1}", "wechat")
    if post is None or post.account_id != kol.account_id or post.created_at > as_of:
        raise WxError(88001, "msg_data is not exists")
    comments = api.world.comments_on(post, as_of)
    replies = {c.reply_to_id: c for c in comments if c.reply_to_id is not None}
    items = []
    for serial, c in enumerate((c for c in comments if c.reply_to_id is None), start=1):
        reply = replies.get(c.comment_id)
        elected = _elected(c, reply is not None)
        if (kind == 1 and elected) or (kind == 2 and not elected):
            continue
        item = {"user_comment_id": serial, "openid": c.author_id, "create_time": int(c.created_at.timestamp()),
                "content": c.text, "comment_type": int(elected)}
        if reply is not None:
            item["reply"] = {"content": reply.text, "create_time": int(reply.created_at.timestamp())}
        items.append(item)
    return {"errcode": 0, "errmsg": "ok", "total": len(items), "comment": items[begin : begin + count]}


# --------------------------------------------------------------------------- followers

def _user_get(api: Platform, req: Request, kol: Kol, day: date) -> dict:
    openids = [f.account_id for f in api.world.audience_sample(kol, day)]
    after = req.params.get("next_openid", "")
    start = 0
    if after:
        if after not in openids:
            raise WxError(40003, "invalid openid")
        start = openids.index(after) + 1
    page = openids[start : start + USER_GET_PAGE]
    body: dict = {"total": api.world.followers_on(kol, day), "count": len(page)}
    if page:
        body["data"] = {"openid": page}
    body["next_openid"] = page[-1] if page else ""  # the last page still names its last openid
    return body


def _subscribe_time(f: Follower, kol: Kol, day: date) -> int:
    start = max(f.created_at, kol.created_at)
    latest = end_of(day)
    span = max(1, int((latest - start).total_seconds()))
    # Young accounts (bought ones among them) follow soon after they are made.
    offset = int(min(span, 30 * 86_400) * _unit("subscribe", f.account_id, kol.account_id))
    return int(min(latest, start + timedelta(seconds=offset)).timestamp())


def _user_info(f: Follower, kol: Kol, day: date) -> dict:
    scenes = ("ADD_SCENE_SEARCH", "ADD_SCENE_ACCOUNT_MIGRATION", "ADD_SCENE_PROFILE_CARD", "ADD_SCENE_QR_CODE",
              "ADD_SCENE_PROFILE_LINK", "ADD_SCENE_OTHERS")
    return {
        "subscribe": 1,
        "openid": f.account_id,
        "language": "zh_CN",
        "subscribe_time": _subscribe_time(f, kol, day),
        "remark": "",
        "groupid": 0,
        "tagid_list": [],
        "subscribe_scene": scenes[int(_unit("scene", f.account_id) * len(scenes))],
        "qr_scene": 0,
        "qr_scene_str": "",
        # Demo additions: what real WeChat no longer (nickname, headimgurl) or never served.
        "nickname": f.handle,
        "headimgurl": f.avatar_url or "",
        "signature": f.bio,
        "follower_count": f.followers,
        "following_count": f.following,
        "post_count": f.posts,
        "account_create_time": int(f.created_at.timestamp()),
    }


def _batchget(api: Platform, req: Request, kol: Kol, day: date) -> dict:
    body = req.json or {}
    if body.get("__invalid_json__"):
        raise WxError(47001, "data format error")
    wanted = body.get("user_list")
    if not isinstance(wanted, list) or not wanted:
        raise WxError(47001, "data format error")
    if len(wanted) > 100:
        raise WxError(45035, "user_list size out of limit")  # batchget takes at most 100 openids
    known = {f.account_id: f for f in api.world.audience_pool(kol)}
    out = []
    for entry in wanted:
        openid = entry.get("openid") if isinstance(entry, dict) else None
        if openid not in known:
            raise WxError(40003, "invalid openid")
        out.append(_user_info(known[openid], kol, day))
    return {"user_info_list": out}


def _basic_info(kol: Kol) -> dict:
    return {
        "errcode": 0, "errmsg": "ok",
        "appid": "wx" + hashlib.blake2b(kol.account_id.encode(), digest_size=8).hexdigest(),
        "account_type": 2,  # 2: official account
        "principal_type": 1,
        "principal_name": f"{kol.handle}文化传媒有限公司",
        "realname_status": 1,
        "wx_verify_info": {"qualification_verify": kol.start_followers > 100_000, "naming_verify": True},
        "signature_info": {"signature": f"{kol.niche} · 每日更新", "modify_used_count": 1, "modify_quota": 5},
        "head_image_info": {"head_image_url": f"http://wx.qlogo.cn/mmhead/{kol.account_id}/0",
                            "modify_used_count": 1, "modify_quota": 5},
        "nickname_info": {"nickname": kol.handle, "modify_used_count": 0, "modify_quota": 2},
        "registered_country": 1017,
        "nickname": kol.handle,
        "original_id": kol.account_id,
    }


# --------------------------------------------------------------------------- routing

POST_ONLY = {"/cgi-bin/comment/list", "/cgi-bin/user/info/batchget"} | {f"/datacube/{e}" for e in MAX_SPAN}
GET_ONLY = {"/cgi-bin/user/get", "/cgi-bin/account/getaccountbasicinfo"}


def handle(api: Platform, req: Request) -> Response:
    try:
        try:
            token = req.params.get("access_token")
            if not token:
                raise WxError(41001, "access_token missing")
            if token != api.token:
                raise WxError(40001, "invalid credential, access_token is invalid or not latest")
            path = req.path.rstrip("/")
            if path not in POST_ONLY | GET_ONLY:
                raise WxError(40066, "invalid url")
            if path in POST_ONLY and req.method != "POST":
                raise WxError(43002, "require POST method")
            if path in GET_ONLY and req.method != "GET":
                raise WxError(43001, "require GET method")
            day = export_day(req.params)
            kol = _kol(api, req)
            if path.startswith("/datacube/"):
                # "Yesterday" is the export day: the demo plays the day after it.
                return Response(200, _datacube(api, req, path.rsplit("/", 1)[1], kol, day))
            if path == "/cgi-bin/comment/list":
                return Response(200, _comments(api, req, kol, end_of(day)))
            if path == "/cgi-bin/user/get":
                return Response(200, _user_get(api, req, kol, day))
            if path == "/cgi-bin/user/info/batchget":
                return Response(200, _batchget(api, req, kol, day))
            return Response(200, _basic_info(kol))
        except BadRequest as e:
            raise WxError(40097, f"invalid args, {e.message}") from None
    except WxError as e:
        return Response(200, error_envelope(req, e.code, e.message))


# --------------------------------------------------------------------------- faults

def _item_time(item: dict) -> datetime | None:
    try:
        if "create_time" in item:
            return datetime.fromtimestamp(int(item["create_time"]), timezone.utc)
        if "ref_date" in item:  # datacube rows are about a day, not an instant
            return datetime.combine(date.fromisoformat(item["ref_date"]), datetime.min.time(), timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):
        return None
    return None


def _next_cursor(body: dict) -> str | None:
    # user/get: the next page starts after next_openid, until a page comes back empty.
    # comment/list pages by begin offsets the body does not repeat, so it has no cursor to give.
    if body.get("count") and body.get("next_openid"):
        return str(body["next_openid"])
    return None


FAULT_DIALECT = FaultDialect(
    envelope=error_envelope,
    # WeChat's throttles arrive in HTTP 200 bodies: the per-minute quota, and -1 "system busy".
    throttle_codes={45011: "api minute-quota reach limit  mustslower  retry next minute", -1: "system error"},
    default_throttle=45011,
    # WeChat itself never answers 429; an HTTP 429 in front of it would still carry its throttle body.
    http_429=(45011, "api minute-quota reach limit  mustslower  retry next minute", {}),
    transient=(-1, "system error", {}),
    expired=(42001, "access_token expired", {}),
    expired_status=200,
    quota=(200, 45009, "reach max api daily quota limit", {}),
    list_keys=("list", "comment", "data.openid", "user_info_list"),
    # comment/list's begin is in the POST's JSON body; user/get's next_openid in the query string.
    cursor_params=("begin", "next_openid"),
    # The real getarticlesummary has been seen to add user_source, always 0 (community).
    new_field=("user_source", 0),
    count_fields=("int_page_read_count", "share_count", "cumulate_user", "new_user", "follower_count"),
    display_count=str,
    optional_fields=("title", "reply", "headimgurl", "signature"),
    item_time=_item_time,
    next_cursor=_next_cursor,
    method="POST",
)


# --------------------------------------------------------------------------- the dashboard's export

EXPORT_HEADER = ["公众号原始ID", "公众号名称", "msgid", "内容标题", "发表时间", "送达人数", "阅读人数", "阅读次数",
                 "分享人数", "分享次数", "收藏人数", "收藏次数", "点赞数", "留言数", "阅读原文次数"]


def export_files(world: World, day: date) -> dict[str, bytes]:
    """公众号后台 "内容分析 › 群发分析" export: one row per article pushed in the last 7 days,
    totals as of the end of ``day``; UTF-8 with a BOM, as Chinese dashboards write for Excel."""
    as_of = end_of(day)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(EXPORT_HEADER)
    for kol in world.kols("wechat"):
        for post in world.posts_between(kol, day - timedelta(days=TRACKING_DAYS - 1), day):
            c = world.counters(post, as_of)
            s = _stats(post, c.views, c.shares, c.saves)
            writer.writerow([kol.account_id, kol.handle, post.post_id, post.title,
                             post.created_at.astimezone(CST).strftime("%Y-%m-%d %H:%M"),
                             world.followers_on(kol, post.created_at.date()), s["int_page_read_user"],
                             s["int_page_read_count"], s["share_user"], s["share_count"], s["add_to_fav_user"],
                             s["add_to_fav_count"], c.likes, c.comments, s["ori_page_read_count"]])
    return {f"wechat_articles_{day.isoformat()}.csv": ("\ufeff" + out.getvalue()).encode("utf-8")}
