"""Douyin open-platform JSON to rows of the data contract (``ingestion/schemas.py``).

Two payloads carry a second endpoint's answer, added by the client under the endpoint's
name: a profile holds the snapshot day's row of ``/data/external/user/fans/`` under
``external_user_fans``, and a video's metrics hold ``/data/external/item/base/``'s
``result`` under ``external_item_base``.
"""
from __future__ import annotations

from datetime import date, timedelta

from ingestion.platforms.base import count_or_none, object_or_empty as _dict, required_id as _id
from ingestion.quirks import parse_epoch_seconds

USER_FANS = "external_user_fans"
ITEM_BASE = "external_item_base"
# Item data is T+1: the answer that goes with a snapshot describes the day before it.
ITEM_DATA_LAG = timedelta(days=1)



def _time(value: object, what: str):
    try:
        return parse_epoch_seconds(value)
    except ValueError as exc:
        raise ValueError(f"{what}: {exc}") from None


def _time_or_none(value: object, what: str):
    return None if value in (None, 0, "") else _time(value, what)



def _net(value: object, what: str) -> int | None:
    """A net change, which may be negative (more unfollows than follows)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().startswith("-") and value.strip()[1:].isdigit():
        return int(value.strip())
    return count_or_none(value, what)


def _small_int(value: object, what: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{what} is not an integer: {value!r}")
    return value


def _snapshot(ctx: dict) -> date:
    return date.fromisoformat(ctx["snapshot_date"])


def profiles(p: dict, ctx: dict) -> dict:
    fans = _dict(p.get(USER_FANS), USER_FANS)
    return {
        "snapshot_date": _snapshot(ctx),
        "open_id": _id(p.get("open_id") or ctx.get("open_id"), "user"),
        "union_id": p.get("union_id") or None,
        "nickname": p.get("nickname"),
        "avatar": p.get("avatar"),
        "e_account_role": p.get("e_account_role") or None,
        "follower_count": count_or_none(p.get("follower_count"), "follower_count"),
        "following_count": count_or_none(p.get("following_count"), "following_count"),
        "aweme_count": count_or_none(p.get("aweme_count"), "aweme_count"),
        "total_fans": count_or_none(fans.get("total_fans"), "total_fans"),
        "new_fans": _net(fans.get("new_fans"), "new_fans"),
    }


def posts(p: dict, ctx: dict) -> dict:
    return {
        "item_id": _id(p.get("item_id"), "video"),
        "open_id": _id(ctx.get("open_id"), "video owner"),
        "create_time": _time(p["create_time"], "create_time"),
        "title": p.get("title"),
        "cover": p.get("cover"),
        "share_url": p.get("share_url"),
        "media_type": _small_int(p.get("media_type"), "media_type"),
        "video_status": _small_int(p.get("video_status"), "video_status"),
        "is_top": bool(p.get("is_top")),
        "is_reviewed": None if p.get("is_reviewed") is None else bool(p.get("is_reviewed")),
    }


def post_metrics(p: dict, ctx: dict) -> dict:
    snapshot = _snapshot(ctx)
    stats = _dict(p.get("statistics"), "statistics")
    base = _dict(p.get(ITEM_BASE), ITEM_BASE)
    created = _time(p["create_time"], "create_time")
    item_day = snapshot - ITEM_DATA_LAG
    # A video published after the day the item data describes has none yet: the platform's
    # zeros there mean "not counted", not "nobody watched".
    if created.date() > item_day:
        base = {}
    duration = base.get("avg_play_duration")
    if duration is not None and (isinstance(duration, bool) or not isinstance(duration, (int, float)) or duration < 0):
        raise ValueError(f"avg_play_duration is not a duration: {duration!r}")
    return {
        "snapshot_date": snapshot,
        "item_id": _id(p.get("item_id"), "video"),
        "open_id": _id(ctx.get("open_id"), "video owner"),
        "digg_count": count_or_none(stats.get("digg_count"), "digg_count"),
        "comment_count": count_or_none(stats.get("comment_count"), "comment_count"),
        "share_count": count_or_none(stats.get("share_count"), "share_count"),
        "play_count": count_or_none(stats.get("play_count"), "play_count"),
        "forward_count": count_or_none(stats.get("forward_count"), "forward_count"),
        "download_count": count_or_none(stats.get("download_count"), "download_count"),
        "item_data_date": item_day if base else None,
        "total_play": count_or_none(base.get("total_play"), "total_play"),
        "total_like": count_or_none(base.get("total_like"), "total_like"),
        "total_comment": count_or_none(base.get("total_comment"), "total_comment"),
        "total_share": count_or_none(base.get("total_share"), "total_share"),
        "avg_play_duration": None if duration is None else float(duration),
    }


def comments(p: dict, ctx: dict) -> dict:
    return {
        "comment_id": _id(p.get("comment_id"), "comment"),
        "item_id": _id(ctx.get("item_id"), "comment's video"),
        "open_id": _id(ctx.get("open_id"), "comment's video owner"),
        "comment_user_id": _id(p.get("comment_user_id"), "comment author"),
        "create_time": _time(p["create_time"], "create_time"),
        "content": p.get("content"),
        "digg_count": count_or_none(p.get("digg_count"), "digg_count"),
        "reply_comment_total": count_or_none(p.get("reply_comment_total"), "reply_comment_total"),
        "top": None if p.get("top") is None else bool(p.get("top")),
        "reply_to_comment_id": ctx.get("reply_to_comment_id"),
    }


def audience(p: dict, ctx: dict) -> dict:
    return {
        "snapshot_date": _snapshot(ctx),
        "followed_open_id": _id(ctx.get("followed_open_id"), "followed account"),
        "open_id": _id(p.get("open_id"), "fan"),
        "union_id": p.get("union_id") or None,
        "nickname": p.get("nickname"),
        "avatar": p.get("avatar"),
        "gender": _small_int(p.get("gender"), "gender"),
        "country": p.get("country") or None,
        "province": p.get("province") or None,
        "city": p.get("city") or None,
        "follower_count": count_or_none(p.get("follower_count"), "follower_count"),
        "following_count": count_or_none(p.get("following_count"), "following_count"),
        "aweme_count": count_or_none(p.get("aweme_count"), "aweme_count"),
        "signature": p.get("signature"),
        "create_time": _time_or_none(p.get("create_time"), "create_time"),
    }


NORMALIZERS = {"profiles": profiles, "posts": posts, "post_metrics": post_metrics, "comments": comments,
               "audience": audience}

# Top-level payload keys each normaliser reads or knowingly leaves aside; landing keeps any
# other key in `_extras`, so that a field Douyin adds one day is seen, not dropped.
KNOWN_FIELDS = {
    "profiles": frozenset({"open_id", "union_id", "nickname", "avatar", "e_account_role", "follower_count",
                           "following_count", "aweme_count", USER_FANS, "error_code", "description"}),
    "posts": frozenset({"item_id", "title", "cover", "is_top", "create_time", "is_reviewed", "video_status",
                        "share_url", "media_type", "statistics"}),
    "post_metrics": frozenset({"item_id", "title", "cover", "is_top", "create_time", "is_reviewed", "video_status",
                               "share_url", "media_type", "statistics", ITEM_BASE}),
    "comments": frozenset({"comment_id", "comment_user_id", "content", "create_time", "digg_count",
                           "reply_comment_total", "top"}),
    "audience": frozenset({"open_id", "union_id", "nickname", "avatar", "gender", "country", "province", "city",
                           "follower_count", "following_count", "aweme_count", "signature", "create_time"}),
}
