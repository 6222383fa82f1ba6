"""Instagram's data contract: one pyarrow schema per landed entity, with the platform's own
field names and real types (see ``ingestion/schemas.py``)."""
import pyarrow as pa

from ingestion.contract import UTC_TS
from ingestion.privacy import PII_HANDLE, PII_ID, PII_URL

SCHEMAS = {
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
            pa.field("from_id", pa.string(), nullable=False, metadata=PII_ID),
            pa.field("username", pa.string(), metadata=PII_HANDLE),
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
            pa.field("id", pa.string(), nullable=False, metadata=PII_ID),
            pa.field("username", pa.string(), metadata=PII_HANDLE),
            pa.field("followers_count", pa.int64()),
            pa.field("follows_count", pa.int64()),
            pa.field("media_count", pa.int64()),
            pa.field("profile_picture_url", pa.string(), metadata=PII_URL),
            pa.field("biography", pa.string()),
            pa.field("account_created_time", UTC_TS),
        ]
    ),
}

# Natural key of each entity, used to deduplicate re-read and late rows.
NATURAL_KEYS = {
    "profiles": ("snapshot_date", "id"),
    "posts": ("id",),
    "post_metrics": ("snapshot_date", "id"),
    "comments": ("id",),
    "audience": ("snapshot_date", "followed_id", "id"),
}
