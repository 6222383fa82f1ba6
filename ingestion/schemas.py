"""The data contract: one explicit pyarrow schema per landed (platform, entity).

Landed tables keep each platform's own field names (``attitudes_count`` stays
``attitudes_count``) but with real types: ids as strings, every timestamp in UTC,
counts as int64. Renaming into the cross-platform vocabulary is dbt staging's job,
so that the lake stays a faithful, typed copy of what the platform said.

Bump ``SCHEMA_VERSION`` whenever a schema changes; it is written into every
Parquet file's metadata and into the slice manifest.
"""
from __future__ import annotations

import pyarrow as pa

SCHEMA_VERSION = "1"

UTC_TS = pa.timestamp("us", tz="UTC")

ENTITIES = ("profiles", "posts", "post_metrics", "comments", "audience")

_WEIBO = {
    # users/show.json, one row per tracked account and snapshot day.
    "profiles": pa.schema(
        [
            pa.field("snapshot_date", pa.date32(), nullable=False),
            pa.field("user_id", pa.string(), nullable=False),
            pa.field("screen_name", pa.string()),
            pa.field("followers_count", pa.int64()),
            pa.field("friends_count", pa.int64()),
            pa.field("statuses_count", pa.int64()),
            pa.field("verified", pa.bool_()),
            pa.field("created_at", UTC_TS),
        ]
    ),
    # statuses/user_timeline.json, landed on the UTC day the status was created.
    "posts": pa.schema(
        [
            pa.field("id", pa.string(), nullable=False),
            pa.field("mid", pa.string()),
            pa.field("user_id", pa.string(), nullable=False),
            pa.field("created_at", UTC_TS, nullable=False),
            pa.field("text", pa.string()),
            pa.field("source", pa.string()),
            pa.field("is_long_text", pa.bool_()),
            pa.field("pic_count", pa.int32()),
        ]
    ),
    # The counters of every status still inside the tracking window, as of the
    # end of snapshot_date. Natural key: (id, snapshot_date).
    "post_metrics": pa.schema(
        [
            pa.field("snapshot_date", pa.date32(), nullable=False),
            pa.field("id", pa.string(), nullable=False),
            pa.field("user_id", pa.string(), nullable=False),
            pa.field("reposts_count", pa.int64()),
            pa.field("comments_count", pa.int64()),
            pa.field("attitudes_count", pa.int64()),
        ]
    ),
    # comments/show.json, landed on the UTC day the comment was written.
    # reply_comment_id is set when the comment answers another comment.
    "comments": pa.schema(
        [
            pa.field("id", pa.string(), nullable=False),
            pa.field("status_id", pa.string(), nullable=False),
            pa.field("status_user_id", pa.string(), nullable=False),
            pa.field("user_id", pa.string(), nullable=False),
            pa.field("screen_name", pa.string()),
            pa.field("created_at", UTC_TS, nullable=False),
            pa.field("text", pa.string()),
            pa.field("reply_comment_id", pa.string()),
        ]
    ),
    # friendships/followers.json: a sample of the account's followers' profiles.
    "audience": pa.schema(
        [
            pa.field("snapshot_date", pa.date32(), nullable=False),
            pa.field("followed_user_id", pa.string(), nullable=False),
            pa.field("id", pa.string(), nullable=False),
            pa.field("screen_name", pa.string()),
            pa.field("followers_count", pa.int64()),
            pa.field("friends_count", pa.int64()),
            pa.field("statuses_count", pa.int64()),
            pa.field("profile_image_url", pa.string()),
            pa.field("description", pa.string()),
            pa.field("created_at", UTC_TS),
        ]
    ),
}

_INSTAGRAM = {
    # GET /{ig-user-id}?fields=..., one row per tracked account and snapshot day.
    "profiles": pa.schema(
        [
            pa.field("snapshot_date", pa.date32(), nullable=False),
            pa.field("id", pa.string(), nullable=False),
            pa.field("username", pa.string()),
            pa.field("followers_count", pa.int64()),
            pa.field("follows_count", pa.int64()),
            pa.field("media_count", pa.int64()),
        ]
    ),
    # GET /{ig-user-id}/media, landed on the UTC day the media was published.
    "posts": pa.schema(
        [
            pa.field("id", pa.string(), nullable=False),
            pa.field("owner_id", pa.string(), nullable=False),
            pa.field("timestamp", UTC_TS, nullable=False),
            pa.field("caption", pa.string()),
            pa.field("media_type", pa.string()),
            pa.field("media_product_type", pa.string()),
            pa.field("permalink", pa.string()),
        ]
    ),
    # like_count / comments_count of every media inside the tracking window,
    # as of the end of snapshot_date. Natural key: (id, snapshot_date).
    "post_metrics": pa.schema(
        [
            pa.field("snapshot_date", pa.date32(), nullable=False),
            pa.field("id", pa.string(), nullable=False),
            pa.field("owner_id", pa.string(), nullable=False),
            pa.field("like_count", pa.int64()),
            pa.field("comments_count", pa.int64()),
        ]
    ),
    # GET /{media-id}/comments with nested replies, flattened; parent_id is set
    # on replies. Landed on the UTC day the comment was written.
    "comments": pa.schema(
        [
            pa.field("id", pa.string(), nullable=False),
            pa.field("media_id", pa.string(), nullable=False),
            pa.field("media_owner_id", pa.string(), nullable=False),
            pa.field("from_id", pa.string(), nullable=False),
            pa.field("username", pa.string()),
            pa.field("timestamp", UTC_TS, nullable=False),
            pa.field("text", pa.string()),
            pa.field("parent_id", pa.string()),
        ]
    ),
    # Audience sample of follower profiles (the Graph API has no follower list;
    # real deployments get this from a sampling export with the same fields).
    "audience": pa.schema(
        [
            pa.field("snapshot_date", pa.date32(), nullable=False),
            pa.field("followed_id", pa.string(), nullable=False),
            pa.field("id", pa.string(), nullable=False),
            pa.field("username", pa.string()),
            pa.field("followers_count", pa.int64()),
            pa.field("follows_count", pa.int64()),
            pa.field("media_count", pa.int64()),
            pa.field("profile_picture_url", pa.string()),
            pa.field("biography", pa.string()),
            pa.field("account_created_time", UTC_TS),
        ]
    ),
}

SCHEMAS: dict[str, dict[str, pa.Schema]] = {"weibo": _WEIBO, "instagram": _INSTAGRAM}

PLATFORMS = tuple(SCHEMAS)

# Natural key of each entity, used to deduplicate re-read and late rows.
NATURAL_KEYS: dict[str, dict[str, tuple[str, ...]]] = {
    "weibo": {
        "profiles": ("snapshot_date", "user_id"),
        "posts": ("id",),
        "post_metrics": ("snapshot_date", "id"),
        "comments": ("id",),
        "audience": ("snapshot_date", "followed_user_id", "id"),
    },
    "instagram": {
        "profiles": ("snapshot_date", "id"),
        "posts": ("id",),
        "post_metrics": ("snapshot_date", "id"),
        "comments": ("id",),
        "audience": ("snapshot_date", "followed_id", "id"),
    },
}


def schema_for(platform: str, entity: str) -> pa.Schema:
    try:
        schema = SCHEMAS[platform][entity]
    except KeyError:
        raise ValueError(
            f"no data contract for platform={platform!r} entity={entity!r}; "
            f"known platforms: {', '.join(PLATFORMS)}; entities: {', '.join(ENTITIES)}"
        ) from None
    return schema.with_metadata({"kol.schema_version": SCHEMA_VERSION, "kol.platform": platform, "kol.entity": entity})
