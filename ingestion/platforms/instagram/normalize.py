"""Instagram Graph JSON to rows of the data contract (``ingestion/schemas.py``)."""
from __future__ import annotations

from datetime import date

from ingestion.platforms.base import count_or_none
from ingestion.quirks import parse_offset_time as parse_graph_time


def _id(value: object, what: str) -> str:
    if value in (None, ""):
        raise ValueError(f"{what} has no id")
    return str(value)




def profiles(p: dict, ctx: dict) -> dict:
    return {
        "snapshot_date": date.fromisoformat(ctx["snapshot_date"]),
        "id": _id(p.get("id"), "user"),
        "username": p.get("username"),
        "followers_count": count_or_none(p.get("followers_count"), "followers_count"),
        "follows_count": count_or_none(p.get("follows_count"), "follows_count"),
        "media_count": count_or_none(p.get("media_count"), "media_count"),
    }


def posts(p: dict, ctx: dict) -> dict:
    return {
        "id": _id(p.get("id"), "media"),
        "owner_id": _id(ctx.get("owner_id"), "media owner"),
        "timestamp": parse_graph_time(p["timestamp"]),
        "caption": p.get("caption"),
        "media_type": p.get("media_type"),
        "media_product_type": p.get("media_product_type"),
        "permalink": p.get("permalink"),
    }


def post_metrics(p: dict, ctx: dict) -> dict:
    return {
        "snapshot_date": date.fromisoformat(ctx["snapshot_date"]),
        "id": _id(p.get("id"), "media"),
        "owner_id": _id(ctx.get("owner_id"), "media owner"),
        "like_count": count_or_none(p.get("like_count"), "like_count"),
        "comments_count": count_or_none(p.get("comments_count"), "comments_count"),
    }


def comments(p: dict, ctx: dict) -> dict:
    author = p.get("from") or {}
    return {
        "id": _id(p.get("id"), "comment"),
        "media_id": _id(ctx.get("media_id"), "comment media"),
        "media_owner_id": _id(ctx.get("media_owner_id"), "comment media owner"),
        "from_id": _id(author.get("id"), "comment author"),
        "username": p.get("username") or author.get("username"),
        "timestamp": parse_graph_time(p["timestamp"]),
        "text": p.get("text"),
        "parent_id": ctx.get("parent_id"),
    }


def audience(p: dict, ctx: dict) -> dict:
    created = p.get("account_created_time")
    return {
        "snapshot_date": date.fromisoformat(ctx["snapshot_date"]),
        "followed_id": ctx["followed_id"],
        "id": _id(p.get("id"), "follower"),
        "username": p.get("username"),
        "followers_count": count_or_none(p.get("followers_count"), "followers_count"),
        "follows_count": count_or_none(p.get("follows_count"), "follows_count"),
        "media_count": count_or_none(p.get("media_count"), "media_count"),
        "profile_picture_url": p.get("profile_picture_url"),
        "biography": p.get("biography"),
        "account_created_time": parse_graph_time(created) if created else None,
    }


NORMALIZERS = {"profiles": profiles, "posts": posts, "post_metrics": post_metrics, "comments": comments,
               "audience": audience}

# The payload fields each normaliser reads or knowingly leaves aside; anything else is new
# and lands in ``_extras`` (and in the manifest's ``new_fields``) instead of vanishing.
_MEDIA = frozenset({"id", "caption", "media_type", "media_product_type", "like_count", "comments_count", "permalink",
                    "timestamp", "username", "children"})
KNOWN_FIELDS = {
    "profiles": frozenset({"id", "username", "name", "followers_count", "follows_count", "media_count", "biography"}),
    "posts": _MEDIA,
    "post_metrics": _MEDIA,
    "comments": frozenset({"id", "text", "timestamp", "username", "from", "like_count", "replies"}),
    "audience": frozenset({"id", "username", "followers_count", "follows_count", "media_count", "profile_picture_url",
                           "biography", "account_created_time"}),
}
