"""Xiaohongshu (RED) web JSON to rows of the data contract (``ingestion/schemas.py``).

Counts are display strings (``"1.2万"``, ``"3,456"``, ``"2.5k"``, ``"10万+"``) parsed by
``ingestion.quirks.parse_count``; ``"未知"`` becomes null. Times are epoch milliseconds.
"""
from __future__ import annotations

from datetime import date

from ingestion.platforms.base import (
    count_or_none, object_or_empty as _dict, required_id as _id, text_or_none as _text,
)
from ingestion.quirks import parse_epoch_millis

AUTHOR_TAG = "is_author"  # show_tags entry on the note author's own comments



def _time(value: object, what: str):
    try:
        return parse_epoch_millis(value)
    except ValueError as exc:
        raise ValueError(f"{what}: {exc}") from None




def _url(value: object) -> str | None:
    # Images arrive as a plain URL or as {"url_default": ...}.
    if isinstance(value, dict):
        value = value.get("url_default") or value.get("url")
    return value if isinstance(value, str) and value else None


def _snapshot(ctx: dict) -> date:
    return date.fromisoformat(ctx["snapshot_date"])


def profiles(p: dict, ctx: dict) -> dict:
    basic = _dict(p.get("basic_info"), "basic_info")
    counts: dict[str, object] = {}
    for entry in p.get("interactions") or []:
        if isinstance(entry, dict) and isinstance(entry.get("type"), str):
            counts[entry["type"]] = entry.get("count")
    gender = basic.get("gender")
    return {
        "snapshot_date": _snapshot(ctx),
        "user_id": _id(ctx.get("user_id"), "user"),
        "nickname": _text(basic.get("nickname")),
        "red_id": None if basic.get("red_id") in (None, "") else str(basic["red_id"]),
        "desc": _text(basic.get("desc")),
        "gender": gender if isinstance(gender, int) and not isinstance(gender, bool) else None,
        "ip_location": _text(basic.get("ip_location")),
        "images": _url(basic.get("images")),
        "follows": count_or_none(counts.get("follows"), "follows"),
        "fans": count_or_none(counts.get("fans"), "fans"),
        "interaction": count_or_none(counts.get("interaction"), "interaction"),
    }


def _owner(p: dict, ctx: dict) -> str:
    user = p.get("user") if isinstance(p.get("user"), dict) else {}
    return _id(user.get("user_id") or ctx.get("user_id"), "note author")


def posts(p: dict, ctx: dict) -> dict:
    return {
        "note_id": _id(p.get("note_id"), "note"),
        "user_id": _owner(p, ctx),
        "time": _time(p["time"], "time"),
        "type": _text(p.get("type")),
        "display_title": _text(p.get("display_title")),
        "desc": _text(p.get("desc")),
        "ip_location": _text(p.get("ip_location")),
    }


def post_metrics(p: dict, ctx: dict) -> dict:
    info = _dict(p.get("interact_info"), "interact_info")
    return {
        "snapshot_date": _snapshot(ctx),
        "note_id": _id(p.get("note_id"), "note"),
        "user_id": _owner(p, ctx),
        "liked_count": count_or_none(info.get("liked_count"), "liked_count"),
        "collected_count": count_or_none(info.get("collected_count"), "collected_count"),
        "comment_count": count_or_none(info.get("comment_count"), "comment_count"),
        "share_count": count_or_none(info.get("share_count"), "share_count"),
    }


def comments(p: dict, ctx: dict) -> dict:
    user = _dict(p.get("user_info"), "user_info")
    target = _dict(p.get("target_comment"), "target_comment")
    root = ctx.get("root_comment_id")
    tags = p.get("show_tags") if isinstance(p.get("show_tags"), list) else []
    return {
        "id": _id(p.get("id"), "comment"),
        "note_id": _id(p.get("note_id") or ctx.get("note_id"), "comment's note"),
        "note_user_id": _id(ctx.get("note_user_id"), "comment's note author"),
        "user_id": _id(user.get("user_id"), "comment author"),
        "nickname": _text(user.get("nickname")),
        "create_time": _time(p["create_time"], "create_time"),
        "content": _text(p.get("content")),
        "ip_location": _text(p.get("ip_location")),
        "like_count": count_or_none(p.get("like_count"), "like_count"),
        "sub_comment_count": count_or_none(p.get("sub_comment_count"), "sub_comment_count"),
        "root_comment_id": root,
        # A sub comment answers its target, or its root when RED leaves the target out.
        "target_comment_id": target.get("id") or root,
        "is_author": AUTHOR_TAG in tags,
    }


def audience(p: dict, ctx: dict) -> dict:
    created = p.get("create_time")
    return {
        "snapshot_date": _snapshot(ctx),
        "followed_user_id": _id(ctx.get("followed_user_id"), "followed account"),
        "user_id": _id(p.get("user_id"), "follower"),
        "nickname": _text(p.get("nickname")),
        "images": _url(p.get("images")),
        "desc": _text(p.get("desc")),
        "fans": count_or_none(p.get("fans"), "fans"),
        "follows": count_or_none(p.get("follows"), "follows"),
        "notes": count_or_none(p.get("notes"), "notes"),
        "create_time": None if created in (None, 0, "") else _time(created, "create_time"),
    }


NORMALIZERS = {"profiles": profiles, "posts": posts, "post_metrics": post_metrics, "comments": comments,
               "audience": audience}

_NOTE_FIELDS = frozenset({"note_id", "xsec_token", "type", "display_title", "time", "ip_location", "user",
                          "interact_info", "cover", "title", "desc", "last_update_time", "tag_list",
                          "at_user_list", "share_info", "video", "image_list"})
# Top-level payload keys each normaliser reads or knowingly leaves aside; landing keeps any
# other key in `_extras`, so that a field RED adds one day is seen, not dropped.
KNOWN_FIELDS = {
    "profiles": frozenset({"basic_info", "interactions", "tags", "extra_info", "result"}),
    "posts": _NOTE_FIELDS,
    "post_metrics": _NOTE_FIELDS,
    "comments": frozenset({"id", "note_id", "content", "create_time", "ip_location", "like_count", "liked",
                           "status", "user_info", "show_tags", "at_users", "sub_comment_count", "sub_comments",
                           "sub_comment_cursor", "sub_comment_has_more", "target_comment"}),
    "audience": frozenset({"user_id", "nickname", "images", "desc", "fans", "follows", "notes", "create_time"}),
}
