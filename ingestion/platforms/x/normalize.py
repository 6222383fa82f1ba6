"""X API v2 objects to rows of the data contract (``schema.py``)."""
from __future__ import annotations

from datetime import date, datetime

from ingestion.platforms.base import count_or_none
from ingestion.quirks import parse_iso_time


def _id(value: object, what: str) -> str:
    # X sends ids as strings (snowflakes overflow JavaScript numbers); an int is a drifted id, still an id.
    if value in (None, "") or isinstance(value, bool):
        raise ValueError(f"{what} has no id")
    if isinstance(value, int):
        return str(value)
    if not isinstance(value, str) or not value.isdigit():
        raise ValueError(f"{what} id is not a snowflake: {value!r}")
    return value


def _time(value: object, what: str) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_iso_time(value)
    except ValueError as exc:
        raise ValueError(f"{what}: {exc}") from None


def _metrics(p: dict) -> dict:
    metrics = p.get("public_metrics")
    if metrics is None:
        return {}
    if not isinstance(metrics, dict):
        raise ValueError(f"public_metrics is not an object: {metrics!r}")
    return metrics


def _count(metrics: dict, field: str) -> int | None:
    return count_or_none(metrics.get(field), f"public_metrics.{field}")


def _flag(value: object, what: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise ValueError(f"{what} is not a boolean: {value!r}")


def _user(p: dict) -> dict:
    m = _metrics(p)
    return {
        "username": p.get("username"),
        "name": p.get("name"),
        "created_at": _time(p.get("created_at"), "created_at"),
        "description": p.get("description"),
        "profile_image_url": p.get("profile_image_url"),
        "protected": _flag(p.get("protected"), "protected"),
        "verified": _flag(p.get("verified"), "verified"),
        "followers_count": _count(m, "followers_count"),
        "following_count": _count(m, "following_count"),
        "tweet_count": _count(m, "tweet_count"),
        "listed_count": _count(m, "listed_count"),
        "like_count": _count(m, "like_count"),
    }


def profiles(p: dict, ctx: dict) -> dict:
    return {"snapshot_date": date.fromisoformat(ctx["snapshot_date"]), "id": _id(p.get("id"), "user")} | _user(p)


def _author(p: dict, ctx: dict) -> str:
    return _id(p.get("author_id") or ctx.get("author_id"), "post author")


def posts(p: dict, ctx: dict) -> dict:
    media = (p.get("attachments") or {}).get("media_keys") or []
    return {
        "id": _id(p.get("id"), "post"),
        "author_id": _author(p, ctx),
        "created_at": parse_iso_time(p["created_at"]),
        "conversation_id": _id(p["conversation_id"], "conversation") if p.get("conversation_id") else None,
        "text": p.get("text"),
        "lang": p.get("lang"),
        "media_count": len(media),
    }


def post_metrics(p: dict, ctx: dict) -> dict:
    m = _metrics(p)
    return {
        "snapshot_date": date.fromisoformat(ctx["snapshot_date"]),
        "id": _id(p.get("id"), "post"),
        "author_id": _author(p, ctx),
        "retweet_count": _count(m, "retweet_count"),
        "reply_count": _count(m, "reply_count"),
        "like_count": _count(m, "like_count"),
        "quote_count": _count(m, "quote_count"),
        "bookmark_count": _count(m, "bookmark_count"),
        "impression_count": _count(m, "impression_count"),
    }


def _displayed(p: dict) -> str | None:
    """The part of a reply's text X displays: without the leading @mentions of the reply chain."""
    text, span = p.get("text"), p.get("display_text_range")
    if not isinstance(text, str) or span is None:
        return text
    if (not isinstance(span, list) or len(span) != 2 or not all(isinstance(i, int) for i in span)
            or not 0 <= span[0] <= span[1] <= len(text)):
        raise ValueError(f"display_text_range {span!r} does not fit a text of {len(text)} characters")
    return text[span[0]: span[1]]


def comments(p: dict, ctx: dict) -> dict:
    replied_to = [r for r in p.get("referenced_tweets") or [] if isinstance(r, dict) and r.get("type") == "replied_to"]
    return {
        "id": _id(p.get("id"), "reply"),
        # The conversation asked for; the payload's own conversation_id can be missing.
        "conversation_id": _id(ctx.get("conversation_id") or p.get("conversation_id"), "conversation"),
        "conversation_author_id": _id(ctx.get("conversation_author_id"), "conversation author"),
        "author_id": _id(p.get("author_id"), "reply author"),
        "username": ctx.get("author_username"),
        "created_at": parse_iso_time(p["created_at"]),
        "text": _displayed(p),
        "in_reply_to_user_id": (_id(p["in_reply_to_user_id"], "replied-to user") if p.get("in_reply_to_user_id")
                                else None),
        "replied_to_id": _id(replied_to[0].get("id"), "replied-to tweet") if replied_to else None,
    }


def audience(p: dict, ctx: dict) -> dict:
    return {"snapshot_date": date.fromisoformat(ctx["snapshot_date"]),
            "followed_user_id": _id(ctx["followed_user_id"], "followed user"),
            "id": _id(p.get("id"), "follower")} | _user(p)


NORMALIZERS = {"profiles": profiles, "posts": posts, "post_metrics": post_metrics, "comments": comments,
               "audience": audience}

# The payload fields each normaliser reads or knowingly leaves aside; anything else is new
# and lands in ``_extras``. edit_history_tweet_ids is X's default field: an unedited post's own id.
_USER = frozenset({"id", "username", "name", "created_at", "description", "profile_image_url", "protected",
                   "verified", "public_metrics"})
_POST = frozenset({"id", "text", "edit_history_tweet_ids", "author_id", "created_at", "conversation_id", "lang",
                   "public_metrics", "attachments"})
KNOWN_FIELDS = {
    "profiles": _USER,
    "posts": _POST,
    "post_metrics": _POST,
    "comments": frozenset({"id", "text", "edit_history_tweet_ids", "author_id", "created_at", "conversation_id",
                           "in_reply_to_user_id", "referenced_tweets", "display_text_range"}),
    "audience": _USER,
}
