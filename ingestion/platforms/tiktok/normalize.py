"""TikTok API v2 JSON to rows of the data contract (``ingestion/schemas.py``)."""
from __future__ import annotations

from datetime import date

from ingestion.platforms.base import count_or_none
from ingestion.quirks import parse_epoch_seconds


def tiktok_id(value: object, what: str) -> str:
    """Ids arrive as int64 JSON numbers (Research API, the demo) or strings (the Display API's
    video id); both land as the same string."""
    if isinstance(value, bool) or value in (None, ""):
        raise ValueError(f"{what} has no id")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value.strip().isdigit():
        return value.strip()
    # A float has already lost digits of an int64: landing it would join to the wrong row.
    raise ValueError(f"{what} id is not an integer: {value!r}")


def _int_or_none(value: object, what: str) -> int | None:
    return count_or_none(value, what)


def _epoch_or_none(value: object, what: str):
    if value in (None, ""):
        return None
    try:
        return parse_epoch_seconds(value)
    except ValueError as exc:
        raise ValueError(f"{what}: {exc}") from None


def _bool_or_none(value: object) -> bool | None:
    return None if value is None else bool(value)


# TikTok's default avatar, the picture of an account that has none: the image names no one.
DEFAULT_AVATAR_MARK = "1594805258216454"


def avatar_folder(url: object) -> str | None:
    """A follower's avatar URL as far as it says "own picture or TikTok's default": the default
    as it is, an own picture without its file name and query (which name the picture)."""
    if not isinstance(url, str) or not url.strip():
        return None
    if DEFAULT_AVATAR_MARK in url:
        return url
    path = url.split("?", 1)[0].split("#", 1)[0]
    return path.rsplit("/", 1)[0] + "/" if path.count("/") > 2 else path


def profiles(p: dict, ctx: dict) -> dict:
    open_id = p.get("open_id") or ctx.get("open_id")
    if not open_id:
        raise ValueError("user has no open_id")
    if ctx.get("open_id") and open_id != ctx["open_id"]:
        raise ValueError(f"asked for user {ctx['open_id']}, TikTok answered for {open_id}")
    return {
        "snapshot_date": date.fromisoformat(ctx["snapshot_date"]),
        "open_id": open_id,
        "union_id": p.get("union_id"),
        "username": p.get("username"),
        "display_name": p.get("display_name"),
        "bio_description": p.get("bio_description"),
        "avatar_url": p.get("avatar_url"),
        "profile_deep_link": p.get("profile_deep_link"),
        "is_verified": _bool_or_none(p.get("is_verified")),
        "follower_count": count_or_none(p.get("follower_count"), "follower_count"),
        "following_count": count_or_none(p.get("following_count"), "following_count"),
        "likes_count": count_or_none(p.get("likes_count"), "likes_count"),
        "video_count": count_or_none(p.get("video_count"), "video_count"),
    }


def posts(p: dict, ctx: dict) -> dict:
    return {
        "id": tiktok_id(p.get("id"), "video"),
        "open_id": tiktok_owner(ctx),
        "create_time": parse_epoch_seconds(p["create_time"]),
        "title": p.get("title"),
        "video_description": p.get("video_description"),
        "duration": _int_or_none(p.get("duration"), "duration"),
        "height": _int_or_none(p.get("height"), "height"),
        "width": _int_or_none(p.get("width"), "width"),
        "share_url": p.get("share_url"),
        "embed_link": p.get("embed_link"),
        "cover_image_url": p.get("cover_image_url"),
    }


def post_metrics(p: dict, ctx: dict) -> dict:
    return {
        "snapshot_date": date.fromisoformat(ctx["snapshot_date"]),
        "id": tiktok_id(p.get("id"), "video"),
        "open_id": tiktok_owner(ctx),
        # "-" is TikTok's "not available yet": null, never zero.
        "like_count": count_or_none(p.get("like_count"), "like_count"),
        "comment_count": count_or_none(p.get("comment_count"), "comment_count"),
        "share_count": count_or_none(p.get("share_count"), "share_count"),
        "view_count": count_or_none(p.get("view_count"), "view_count"),
    }


def comments(p: dict, ctx: dict) -> dict:
    video_id = tiktok_id(p.get("video_id") if p.get("video_id") is not None else ctx.get("video_id"),
                         "comment video")
    parent = p.get("parent_comment_id")
    return {
        "id": tiktok_id(p.get("id"), "comment"),
        "video_id": video_id,
        "video_owner_open_id": tiktok_owner(ctx),
        "parent_comment_id": tiktok_id(parent, "parent comment") if parent not in (None, "") else None,
        "create_time": parse_epoch_seconds(p["create_time"]),
        "text": p.get("text"),
        "like_count": count_or_none(p.get("like_count"), "like_count"),
        "reply_count": count_or_none(p.get("reply_count"), "reply_count"),
    }


def audience(p: dict, ctx: dict) -> dict:
    username = p.get("username")
    if not isinstance(username, str) or not username:
        raise ValueError("follower has no username")
    return {
        "snapshot_date": date.fromisoformat(ctx["snapshot_date"]),
        "followed_open_id": tiktok_owner(ctx),
        "username": username,
        "display_name": p.get("display_name"),
        "avatar_url": avatar_folder(p.get("avatar_url")),
        "bio_description": p.get("bio_description"),
        "is_verified": _bool_or_none(p.get("is_verified")),
        "follower_count": count_or_none(p.get("follower_count"), "follower_count"),
        "following_count": count_or_none(p.get("following_count"), "following_count"),
        "video_count": count_or_none(p.get("video_count"), "video_count"),
        "create_time": _epoch_or_none(p.get("create_time"), "create_time"),
    }


def tiktok_owner(ctx: dict) -> str:
    owner = ctx.get("open_id")
    if not owner:
        raise ValueError("record has no owner open_id in its context")
    return owner


NORMALIZERS = {"profiles": profiles, "posts": posts, "post_metrics": post_metrics, "comments": comments,
               "audience": audience}

# Top-level payload keys each normaliser understands; landing keeps any other key as an extra.
# embed_html is understood and not landed: it is embed_link wrapped in markup.
_VIDEO = frozenset({"id", "create_time", "cover_image_url", "share_url", "video_description", "duration", "height",
                    "width", "title", "embed_html", "embed_link", "like_count", "comment_count", "share_count",
                    "view_count"})
KNOWN_FIELDS = {
    "profiles": frozenset({"open_id", "union_id", "avatar_url", "avatar_url_100", "avatar_large_url", "display_name",
                           "bio_description", "profile_deep_link", "is_verified", "username", "follower_count",
                           "following_count", "likes_count", "video_count"}),
    "posts": _VIDEO,
    "post_metrics": _VIDEO,
    "comments": frozenset({"id", "video_id", "text", "like_count", "reply_count", "parent_comment_id",
                           "create_time"}),
    "audience": frozenset({"display_name", "username", "avatar_url", "bio_description", "is_verified",
                           "follower_count", "following_count", "video_count", "create_time"}),
}
