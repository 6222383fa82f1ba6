"""YouTube Data API v3 resources to rows of the data contract (``schema.py``)."""
from __future__ import annotations

from datetime import date, datetime

from ingestion.platforms.base import count_or_none
from ingestion.quirks import parse_iso_time


def _id(value: object, what: str) -> str:
    if value in (None, ""):
        raise ValueError(f"{what} has no id")
    if not isinstance(value, str):
        raise ValueError(f"{what} id is not a string: {value!r}")
    return value


def _part(resource: dict, name: str) -> dict:
    part = resource.get(name)
    if part is None:
        return {}
    if not isinstance(part, dict):
        raise ValueError(f"{name} is not an object: {part!r}")
    return part


def _time(value: object, what: str) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_iso_time(value)
    except ValueError as exc:
        raise ValueError(f"{what}: {exc}") from None


def _required_time(part: dict, field: str, what: str) -> datetime:
    if part.get(field) is None:
        raise KeyError(f"{what}.{field}")
    return _time(part[field], f"{what}.{field}")


def _flag(value: object, what: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise ValueError(f"{what} is not a boolean: {value!r}")


def _thumbnail(part: dict) -> str | None:
    thumbs = part.get("thumbnails") or {}
    for size in ("default", "medium", "high"):
        url = (thumbs.get(size) or {}).get("url")
        if url:
            return url
    return None


def profiles(p: dict, ctx: dict) -> dict:
    snippet, stats = _part(p, "snippet"), _part(p, "statistics")
    playlists = _part(_part(p, "contentDetails"), "relatedPlaylists")
    return {
        "snapshot_date": date.fromisoformat(ctx["snapshot_date"]),
        "id": _id(p.get("id"), "channel"),
        "title": snippet.get("title"),
        "customUrl": snippet.get("customUrl"),
        "country": snippet.get("country"),
        "publishedAt": _time(snippet.get("publishedAt"), "snippet.publishedAt"),
        "subscriberCount": count_or_none(stats.get("subscriberCount"), "statistics.subscriberCount"),
        "hiddenSubscriberCount": _flag(stats.get("hiddenSubscriberCount"), "statistics.hiddenSubscriberCount"),
        "videoCount": count_or_none(stats.get("videoCount"), "statistics.videoCount"),
        "viewCount": count_or_none(stats.get("viewCount"), "statistics.viewCount"),
        "uploadsPlaylistId": playlists.get("uploads") or None,
    }


def _channel(p: dict, ctx: dict) -> str:
    # The channel whose uploads listed the video; the snippet says the same when it is there.
    return _id(ctx.get("channel_id") or _part(p, "snippet").get("channelId"), "video channel")


def posts(p: dict, ctx: dict) -> dict:
    snippet = _part(p, "snippet")
    return {
        "id": _id(p.get("id"), "video"),
        "channelId": _channel(p, ctx),
        "publishedAt": _required_time(snippet, "publishedAt", "snippet"),
        "title": snippet.get("title"),
        "description": snippet.get("description"),
        "categoryId": snippet.get("categoryId"),
        "liveBroadcastContent": snippet.get("liveBroadcastContent"),
        "duration": _part(p, "contentDetails").get("duration"),
        "hasPaidProductPlacement": _flag(_part(p, "paidProductPlacementDetails").get("hasPaidProductPlacement"),
                                         "paidProductPlacementDetails.hasPaidProductPlacement"),
    }


def post_metrics(p: dict, ctx: dict) -> dict:
    stats = _part(p, "statistics")
    return {
        "snapshot_date": date.fromisoformat(ctx["snapshot_date"]),
        "id": _id(p.get("id"), "video"),
        "channelId": _channel(p, ctx),
        "viewCount": count_or_none(stats.get("viewCount"), "statistics.viewCount"),
        "likeCount": count_or_none(stats.get("likeCount"), "statistics.likeCount"),
        "commentCount": count_or_none(stats.get("commentCount"), "statistics.commentCount"),
    }


def comments(p: dict, ctx: dict) -> dict:
    """A ``youtube#commentThread`` (its top-level comment) or a ``youtube#comment`` reply."""
    thread = _part(p, "snippet")
    top = thread.get("topLevelComment")
    if top is not None and not isinstance(top, dict):
        raise ValueError(f"snippet.topLevelComment is not an object: {top!r}")
    if top is None and p.get("kind") == "youtube#commentThread":
        raise KeyError("snippet.topLevelComment")
    comment = top if top is not None else p
    snippet = comment["snippet"]
    if not isinstance(snippet, dict):
        raise ValueError(f"comment snippet is not an object: {snippet!r}")
    return {
        "id": _id(comment.get("id") or p.get("id"), "comment"),
        "videoId": _id(ctx.get("video_id") or snippet.get("videoId"), "comment video"),
        "channelId": _id(ctx.get("channel_id") or snippet.get("channelId"), "comment video channel"),
        "authorChannelId": _id(_part(snippet, "authorChannelId").get("value"), "comment author"),
        "authorDisplayName": snippet.get("authorDisplayName"),
        "publishedAt": _required_time(snippet, "publishedAt", "snippet"),
        "updatedAt": _time(snippet.get("updatedAt"), "snippet.updatedAt"),
        "textDisplay": snippet.get("textDisplay"),
        "likeCount": count_or_none(snippet.get("likeCount"), "snippet.likeCount"),
        "totalReplyCount": (count_or_none(thread.get("totalReplyCount"), "snippet.totalReplyCount")
                            if top is not None else None),
        "parentId": None if top is not None else (snippet.get("parentId") or ctx.get("parent_id")),
    }


def audience(p: dict, ctx: dict) -> dict:
    snippet, subscriber = _part(p, "snippet"), _part(p, "subscriberSnippet")
    stats = _part(p, "subscriberStatistics")
    return {
        "snapshot_date": date.fromisoformat(ctx["snapshot_date"]),
        "resourceChannelId": _id(ctx["channel_id"], "subscribed channel"),
        # subscriberSnippet.channelId and snippet.channelId both name the subscriber.
        "subscriberChannelId": _id(subscriber.get("channelId") or snippet.get("channelId"), "subscriber"),
        "title": subscriber.get("title"),
        "description": subscriber.get("description"),
        "thumbnailUrl": _thumbnail(subscriber),
        "publishedAt": _time(subscriber.get("publishedAt"), "subscriberSnippet.publishedAt"),
        "subscribedAt": _time(snippet.get("publishedAt"), "snippet.publishedAt"),
        "subscriberCount": count_or_none(stats.get("subscriberCount"), "subscriberStatistics.subscriberCount"),
        "videoCount": count_or_none(stats.get("videoCount"), "subscriberStatistics.videoCount"),
        "subscriptionCount": count_or_none(stats.get("subscriptionCount"), "subscriberStatistics.subscriptionCount"),
    }


NORMALIZERS = {"profiles": profiles, "posts": posts, "post_metrics": post_metrics, "comments": comments,
               "audience": audience}

# kind and etag are understood and dropped: YouTube's bookkeeping, not data.
_RESOURCE = {"kind", "etag", "id"}
KNOWN_FIELDS = {
    "profiles": frozenset(_RESOURCE | {"snippet", "statistics", "contentDetails"}),
    "posts": frozenset(_RESOURCE | {"snippet", "contentDetails", "statistics", "paidProductPlacementDetails"}),
    "post_metrics": frozenset(_RESOURCE | {"snippet", "contentDetails", "statistics", "paidProductPlacementDetails"}),
    # A thread's replies are landed as rows of their own.
    "comments": frozenset(_RESOURCE | {"snippet", "replies"}),
    "audience": frozenset(_RESOURCE | {"snippet", "subscriberSnippet", "subscriberStatistics"}),
}
