"""Weibo JSON to rows of the data contract (``ingestion/schemas.py``)."""
from __future__ import annotations

from datetime import date

from ingestion.platforms.base import count_or_none
from ingestion.quirks import parse_weibo_time


def _id(obj: dict, what: str) -> str:
    # Weibo ids overflow JavaScript numbers: prefer idstr, fall back to the int64.
    value = obj.get("idstr") or obj.get("id")
    if value in (None, ""):
        raise ValueError(f"{what} has no id")
    return str(value)




def profiles(p: dict, ctx: dict) -> dict:
    return {
        "snapshot_date": date.fromisoformat(ctx["snapshot_date"]),
        "user_id": _id(p, "user"),
        "screen_name": p.get("screen_name"),
        "followers_count": count_or_none(p.get("followers_count"), "followers_count"),
        "friends_count": count_or_none(p.get("friends_count"), "friends_count"),
        "statuses_count": count_or_none(p.get("statuses_count"), "statuses_count"),
        "verified": bool(p.get("verified")),
        "created_at": parse_weibo_time(p["created_at"]) if p.get("created_at") else None,
    }


def posts(p: dict, ctx: dict) -> dict:
    return {
        "id": _id(p, "status"),
        "mid": str(p["mid"]) if p.get("mid") is not None else None,
        "user_id": _id(p["user"], "status.user"),
        "created_at": parse_weibo_time(p["created_at"]),
        "text": p.get("text"),
        "source": p.get("source"),
        "is_long_text": bool(p.get("isLongText")),
        "pic_count": len(p.get("pic_urls") or []),
    }


def post_metrics(p: dict, ctx: dict) -> dict:
    return {
        "snapshot_date": date.fromisoformat(ctx["snapshot_date"]),
        "id": _id(p, "status"),
        "user_id": _id(p["user"], "status.user"),
        "reposts_count": count_or_none(p.get("reposts_count"), "reposts_count"),
        "comments_count": count_or_none(p.get("comments_count"), "comments_count"),
        "attitudes_count": count_or_none(p.get("attitudes_count"), "attitudes_count"),
    }


def comments(p: dict, ctx: dict) -> dict:
    status = p["status"]
    reply = p.get("reply_comment")
    return {
        "id": _id(p, "comment"),
        "status_id": _id(status, "comment.status"),
        "status_user_id": _id(status["user"], "comment.status.user"),
        "user_id": _id(p["user"], "comment.user"),
        "screen_name": p["user"].get("screen_name"),
        "created_at": parse_weibo_time(p["created_at"]),
        "text": p.get("text"),
        "reply_comment_id": _id(reply, "comment.reply_comment") if reply else None,
    }


def audience(p: dict, ctx: dict) -> dict:
    return {
        "snapshot_date": date.fromisoformat(ctx["snapshot_date"]),
        "followed_user_id": ctx["followed_user_id"],
        "id": _id(p, "follower"),
        "screen_name": p.get("screen_name"),
        "followers_count": count_or_none(p.get("followers_count"), "followers_count"),
        "friends_count": count_or_none(p.get("friends_count"), "friends_count"),
        "statuses_count": count_or_none(p.get("statuses_count"), "statuses_count"),
        "profile_image_url": p.get("profile_image_url"),
        "description": p.get("description"),
        "created_at": parse_weibo_time(p["created_at"]) if p.get("created_at") else None,
    }


NORMALIZERS = {"profiles": profiles, "posts": posts, "post_metrics": post_metrics, "comments": comments,
               "audience": audience}

# The payload fields each normaliser reads or knowingly leaves aside; anything else is new
# and lands in ``_extras`` (and in the manifest's ``new_fields``) instead of vanishing.
_USER = frozenset({"id", "idstr", "screen_name", "name", "followers_count", "friends_count", "statuses_count",
                   "verified", "created_at", "profile_image_url", "description"})
_STATUS = frozenset({"created_at", "id", "idstr", "mid", "text", "source", "reposts_count", "comments_count",
                     "attitudes_count", "isLongText", "pic_urls", "user"})
KNOWN_FIELDS = {
    "profiles": _USER,
    "posts": _STATUS,
    "post_metrics": _STATUS,
    "comments": frozenset({"created_at", "id", "idstr", "mid", "text", "source", "user", "status", "reply_comment"}),
    "audience": _USER,
}
