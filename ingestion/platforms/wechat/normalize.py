"""WeChat Official Account JSON to rows of the data contract (``ingestion/schemas.py``)."""
from __future__ import annotations

from datetime import date

from ingestion.platforms.base import count_or_none
from ingestion.quirks import parse_epoch_seconds

ARTICLE_COUNTERS = ("int_page_read_user", "int_page_read_count", "ori_page_read_user", "ori_page_read_count",
                    "share_user", "share_count", "add_to_fav_user", "add_to_fav_count")


def split_msgid(msgid: object) -> tuple[str, int]:
    """``"2661239426_2"`` -> (``"2661239426"``, 2): the push and the article's place in it,
    counted from 1 (cgi-bin/comment/list counts the same place from 0)."""
    if not isinstance(msgid, str):
        raise ValueError(f"msgid is not a string: {msgid!r}")
    push, sep, n = msgid.rpartition("_")
    if not sep or not push.isdigit() or not n.isdigit() or int(n) < 1:
        raise ValueError(f"msgid {msgid!r} is not <msg_data_id>_<n> with n counted from 1")
    return push, int(n)


def _id(value: object, what: str) -> str:
    if value in (None, "") or isinstance(value, bool):
        raise ValueError(f"{what} has no id")
    return str(value)


def _day(value: object, what: str) -> date:
    if not isinstance(value, str):
        raise ValueError(f"{what} is not a YYYY-MM-DD date: {value!r}")
    return date.fromisoformat(value)


def _epoch_or_none(value: object, what: str):
    if value in (None, ""):
        return None
    try:
        return parse_epoch_seconds(value)
    except ValueError as exc:
        raise ValueError(f"{what}: {exc}") from None


def _rows_of(rows: object, day: date, what: str) -> list[dict]:
    """The day's rows of a datacube user list, one per user_source: a row the list repeats
    is the same reading again and must not be added twice."""
    if rows is None:
        return []
    if not isinstance(rows, list):
        raise ValueError(f"{what} is not a list: {rows!r}")
    by_source = {str(r.get("user_source", 0)): r for r in rows
                 if isinstance(r, dict) and r.get("ref_date") == day.isoformat()}
    return list(by_source.values())


def _sum(rows: list[dict], field: str) -> int | None:
    values = [count_or_none(r.get(field), field) for r in rows]
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def profiles(p: dict, ctx: dict) -> dict:
    snapshot = date.fromisoformat(ctx["snapshot_date"])
    original_id = _id(p.get("original_id") or ctx.get("original_id"), "account")
    if ctx.get("original_id") and original_id != ctx["original_id"]:
        raise ValueError(f"asked for account {ctx['original_id']}, WeChat answered for {original_id}")
    # The datacube rows of the day: the follower count at its end, the gains and losses over it.
    # A row WeChat has not published yet leaves the counts null rather than zero.
    cumulate = _rows_of(p.get("getusercumulate"), snapshot, "getusercumulate")
    summary = _rows_of(p.get("getusersummary"), snapshot, "getusersummary")
    verify = p.get("wx_verify_info") or {}
    return {
        "snapshot_date": snapshot,
        "original_id": original_id,
        "nickname": p.get("nickname") or (p.get("nickname_info") or {}).get("nickname"),
        "principal_name": p.get("principal_name"),
        "signature": (p.get("signature_info") or {}).get("signature"),
        "head_image_url": (p.get("head_image_info") or {}).get("head_image_url") or None,
        "qualification_verify": bool(verify["qualification_verify"]) if "qualification_verify" in verify else None,
        "cumulate_user": _sum(cumulate, "cumulate_user"),
        "new_user": _sum(summary, "new_user"),
        "cancel_user": _sum(summary, "cancel_user"),
    }


def posts(p: dict, ctx: dict) -> dict:
    msgid = _id(p.get("msgid"), "article")
    msg_data_id, n = split_msgid(msgid)
    return {
        "msgid": msgid,
        "original_id": _id(ctx.get("original_id"), "article owner"),
        "msg_data_id": msg_data_id,
        "index": n - 1,  # cgi-bin/comment/list's index counts from 0, msgid's suffix from 1
        "ref_date": _day(p.get("ref_date"), "ref_date"),
        "title": p.get("title"),
    }


def post_metrics(p: dict, ctx: dict) -> dict:
    snapshot = date.fromisoformat(ctx["snapshot_date"])
    msgid = _id(p.get("msgid"), "article")
    details = p.get("details")
    if not isinstance(details, list):
        raise ValueError(f"article {msgid} has no details list")
    # details are cumulative per stat_date; the snapshot is the one that ends on snapshot_date.
    detail = next((d for d in details if isinstance(d, dict) and d.get("stat_date") == snapshot.isoformat()), None)
    if detail is None:
        raise ValueError(f"article {msgid} has no details for stat_date {snapshot}")
    return {
        "snapshot_date": snapshot,
        "msgid": msgid,
        "original_id": _id(ctx.get("original_id"), "article owner"),
        "ref_date": _day(p.get("ref_date"), "ref_date"),
        "target_user": count_or_none(detail.get("target_user"), "target_user"),
        **{f: count_or_none(detail.get(f), f) for f in ARTICLE_COUNTERS},
    }


def comments(p: dict, ctx: dict) -> dict:
    user_comment_id = _id(p.get("user_comment_id"), "comment")
    common = {"msgid": _id(ctx.get("msgid"), "comment article"),
              "original_id": _id(ctx.get("original_id"), "comment article owner"),
              "user_comment_id": user_comment_id}
    if ctx.get("is_reply"):
        # The account's answer: WeChat nests it under the comment it answers, without an id.
        reply = p["reply"]
        if not isinstance(reply, dict):
            raise ValueError(f"comment {user_comment_id}'s reply is not an object: {reply!r}")
        return common | {
            "is_reply": True,
            "openid": common["original_id"],
            "create_time": parse_epoch_seconds(reply["create_time"]),
            "content": reply.get("content"),
            "comment_type": None,
            "reply_to_user_comment_id": user_comment_id,
        }
    comment_type = p.get("comment_type")
    return common | {
        "is_reply": False,
        "openid": _id(p.get("openid"), "comment author"),
        "create_time": parse_epoch_seconds(p["create_time"]),
        "content": p.get("content"),
        "comment_type": int(comment_type) if comment_type is not None else None,
        "reply_to_user_comment_id": None,
    }


def audience(p: dict, ctx: dict) -> dict:
    subscribe = p.get("subscribe")
    return {
        "snapshot_date": date.fromisoformat(ctx["snapshot_date"]),
        "original_id": _id(ctx.get("original_id"), "followed account"),
        "openid": _id(p.get("openid"), "follower"),
        "nickname": p.get("nickname") or None,
        "subscribe": bool(int(subscribe)) if subscribe is not None else None,
        "subscribe_time": _epoch_or_none(p.get("subscribe_time"), "subscribe_time"),
        "subscribe_scene": p.get("subscribe_scene") or None,
        "language": p.get("language") or None,
        "headimgurl": p.get("headimgurl") or None,  # "" is WeChat's "no avatar"
        "signature": p.get("signature"),
        "follower_count": count_or_none(p.get("follower_count"), "follower_count"),
        "following_count": count_or_none(p.get("following_count"), "following_count"),
        "post_count": count_or_none(p.get("post_count"), "post_count"),
        "account_create_time": _epoch_or_none(p.get("account_create_time"), "account_create_time"),
    }


NORMALIZERS = {"profiles": profiles, "posts": posts, "post_metrics": post_metrics, "comments": comments,
               "audience": audience}

# Top-level payload keys each normaliser understands; landing keeps any other key as an extra.
# Some are understood and deliberately not landed: errcode/errmsg (the envelope), an account's
# quotas for renaming itself, and a follower's `remark` (the account owner's private note on a
# person), `groupid`, `tagid_list` and `qr_scene*` (the owner's own CRM labels).
KNOWN_FIELDS = {
    "profiles": frozenset({"errcode", "errmsg", "appid", "account_type", "principal_type", "principal_name",
                           "realname_status", "wx_verify_info", "signature_info", "head_image_info",
                           "nickname_info", "registered_country", "nickname", "original_id",
                           "getusercumulate", "getusersummary"}),
    "posts": frozenset({"ref_date", "msgid", "title", "details"}),
    "post_metrics": frozenset({"ref_date", "msgid", "title", "details"}),
    "comments": frozenset({"user_comment_id", "openid", "create_time", "content", "comment_type", "reply"}),
    "audience": frozenset({"subscribe", "openid", "language", "subscribe_time", "remark", "groupid", "tagid_list",
                           "subscribe_scene", "qr_scene", "qr_scene_str", "nickname", "headimgurl", "signature",
                           "follower_count", "following_count", "post_count", "account_create_time"}),
}
