"""Bilibili web JSON to rows of the data contract (``ingestion/schemas.py``)."""
from __future__ import annotations

from datetime import date

from ingestion.platforms.base import count_or_none, object_or_empty as _dict, text_or_none as _text
from ingestion.quirks import parse_epoch_seconds


def _id(value: object, what: str) -> str:
    # aid, mid and rpid are ints in most answers and strings in some (card.mid, member.mid).
    if value in (None, "", 0, "0") or isinstance(value, (bool, dict, list, float)):
        raise ValueError(f"{what} has no id")
    return str(value)


def _id_or_none(value: object) -> str | None:
    """A thread or parent reference: 0 means "none" on Bilibili."""
    return None if value in (None, "", 0, "0") or isinstance(value, bool) else str(value)


def _time(value: object, what: str):
    try:
        return parse_epoch_seconds(value)
    except ValueError as exc:
        raise ValueError(f"{what}: {exc}") from None


def _time_or_none(value: object, what: str):
    return None if value in (None, 0, "", "0") else _time(value, what)



def _int(value: object, what: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"{what} is not an integer: {value!r}")
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    if not isinstance(value, int):
        raise ValueError(f"{what} is not an integer: {value!r}")
    return value



def length_seconds(text: object) -> int | None:
    """``"MM:SS"`` (minutes not wrapped: a two-hour replay is ``"120:05"``) or ``"H:MM:SS"``."""
    if text in (None, ""):
        return None
    parts = text.split(":") if isinstance(text, str) else []
    if len(parts) not in (2, 3) or not all(p.isdigit() for p in parts) or any(int(p) >= 60 for p in parts[1:]):
        raise ValueError(f"length is not MM:SS: {text!r}")
    seconds = 0
    for part in parts:
        seconds = seconds * 60 + int(part)
    return seconds


def _snapshot(ctx: dict) -> date:
    return date.fromisoformat(ctx["snapshot_date"])


def profiles(p: dict, ctx: dict) -> dict:
    card = _dict(p["card"], "card")
    level = _dict(card.get("level_info"), "card.level_info").get("current_level")
    follower = p.get("follower") if p.get("follower") is not None else card.get("fans")
    return {
        "snapshot_date": _snapshot(ctx),
        "mid": _id(card.get("mid") or ctx.get("mid"), "user"),
        "name": _text(card.get("name")),
        "sign": _text(card.get("sign")),
        "face": _text(card.get("face")),
        "follower": count_or_none(follower, "follower"),
        "attention": count_or_none(card.get("attention"), "attention"),
        "archive_count": count_or_none(p.get("archive_count"), "archive_count"),
        "article_count": count_or_none(p.get("article_count"), "article_count"),
        "level": _int(level, "level"),
    }


def posts(p: dict, ctx: dict) -> dict:
    return {
        "aid": _id(p.get("aid"), "video"),
        "bvid": _text(p.get("bvid")),
        "mid": _id(p.get("mid") or ctx.get("mid"), "video uploader"),
        "created": _time(p["created"], "created"),
        "title": _text(p.get("title")),
        "description": _text(p.get("description")),
        "length": length_seconds(p.get("length")),
        "typeid": _int(p.get("typeid"), "typeid"),
        "copyright": None if p.get("copyright") is None else str(p["copyright"]),
        "is_live_playback": None if p.get("is_live_playback") is None else bool(p["is_live_playback"]),
    }


def post_metrics(p: dict, ctx: dict) -> dict:
    row = {"snapshot_date": _snapshot(ctx), "aid": _id(p.get("aid"), "video")}
    if "stat" in p:  # the view's answer
        stat = _dict(p["stat"], "stat")
        owner = _dict(p.get("owner"), "owner")
        return row | {
            "mid": _id(owner.get("mid") or ctx.get("mid"), "video uploader"),
            **{name: count_or_none(stat.get(name), name)
               for name in ("view", "danmaku", "reply", "favorite", "coin", "share", "like")},
        }
    # The space list's item, for a video the view no longer shows.
    return row | {
        "mid": _id(p.get("mid") or ctx.get("mid"), "video uploader"),
        "view": count_or_none(p.get("play"), "play"),
        "danmaku": count_or_none(p.get("video_review"), "video_review"),
        "reply": count_or_none(p.get("comment"), "comment"),
        "favorite": None, "coin": None, "share": None, "like": None,
    }


def comments(p: dict, ctx: dict) -> dict:
    member = _dict(p.get("member"), "member")
    content = _dict(p.get("content"), "content")
    return {
        "rpid": _id(p.get("rpid_str") or p.get("rpid"), "reply"),
        "oid": _id(p.get("oid") or ctx.get("oid"), "reply's video"),
        "upper_mid": _id(ctx.get("upper_mid"), "reply's video uploader"),
        "mid": _id(p.get("mid") or member.get("mid"), "reply author"),
        "uname": _text(member.get("uname")),
        "ctime": _time(p["ctime"], "ctime"),
        "message": _text(content.get("message")),
        "like": count_or_none(p.get("like"), "like"),
        "rcount": count_or_none(p.get("rcount"), "rcount"),
        "root": _id_or_none(p.get("root")),
        "parent": _id_or_none(p.get("parent")),
    }


def audience(p: dict, ctx: dict) -> dict:
    return {
        "snapshot_date": _snapshot(ctx),
        "vmid": _id(ctx.get("vmid"), "followed account"),
        "mid": _id(p.get("mid"), "follower"),
        "uname": _text(p.get("uname")),
        "face": _text(p.get("face")),
        "sign": _text(p.get("sign")),
        "mtime": _time_or_none(p.get("mtime"), "mtime"),
        "follower": count_or_none(p.get("follower"), "follower"),
        "following": count_or_none(p.get("following"), "following"),
        "archive_count": count_or_none(p.get("archive_count"), "archive_count"),
        "jointime": _time_or_none(p.get("jointime"), "jointime"),
    }


NORMALIZERS = {"profiles": profiles, "posts": posts, "post_metrics": post_metrics, "comments": comments,
               "audience": audience}

_VLIST_FIELDS = frozenset({"comment", "typeid", "play", "pic", "subtitle", "description", "copyright", "title",
                           "review", "author", "mid", "created", "length", "video_review", "aid", "bvid",
                           "hide_click", "is_pay", "is_union_video", "is_steins_gate", "is_live_playback", "meta",
                           "is_avoided", "attribute", "is_charging_arc", "vt", "enable_vt", "vt_display",
                           "playback_position"})
_VIEW_FIELDS = frozenset({"bvid", "aid", "videos", "tid", "tname", "copyright", "pic", "title", "pubdate", "ctime",
                          "desc", "state", "duration", "owner", "stat", "dynamic", "cid", "is_story",
                          "is_upower_exclusive"})
# Top-level payload keys each normaliser reads or knowingly leaves aside; landing keeps any
# other key in `_extras`, so that a field Bilibili adds one day is seen, not dropped.
KNOWN_FIELDS = {
    "profiles": frozenset({"card", "following", "archive_count", "article_count", "follower"}),
    "posts": _VLIST_FIELDS,
    "post_metrics": _VIEW_FIELDS | _VLIST_FIELDS,
    "comments": frozenset({"rpid", "oid", "type", "mid", "root", "parent", "dialog", "count", "rcount", "state",
                           "fansgrade", "attr", "ctime", "rpid_str", "root_str", "parent_str", "like", "action",
                           "member", "content", "replies", "up_action"}),
    "audience": frozenset({"mid", "attribute", "mtime", "tag", "special", "contract_info", "uname", "face", "sign",
                           "face_nft", "official_verify", "vip", "follower", "following", "archive_count",
                           "jointime"}),
}
