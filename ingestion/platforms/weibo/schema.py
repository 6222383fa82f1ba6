"""Weibo's data contract: one pyarrow schema per landed entity, with the platform's own
field names and real types (see ``ingestion/schemas.py``)."""
import pyarrow as pa

from ingestion.contract import UTC_TS
from ingestion.privacy import PII_HANDLE, PII_ID, PII_URL

SCHEMAS = {
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
            pa.field("user_id", pa.string(), nullable=False, metadata=PII_ID),
            pa.field("screen_name", pa.string(), metadata=PII_HANDLE),
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
            pa.field("id", pa.string(), nullable=False, metadata=PII_ID),
            pa.field("screen_name", pa.string(), metadata=PII_HANDLE),
            pa.field("followers_count", pa.int64()),
            pa.field("friends_count", pa.int64()),
            pa.field("statuses_count", pa.int64()),
            pa.field("profile_image_url", pa.string(), metadata=PII_URL),
            pa.field("description", pa.string()),
            pa.field("created_at", UTC_TS),
        ]
    ),
}

# Natural key of each entity, used to deduplicate re-read and late rows.
NATURAL_KEYS = {
    "profiles": ("snapshot_date", "user_id"),
    "posts": ("id",),
    "post_metrics": ("snapshot_date", "id"),
    "comments": ("id",),
    "audience": ("snapshot_date", "followed_user_id", "id"),
}
