"""TikTok's data contract: one pyarrow schema per landed entity, with TikTok API v2's own
field names and real types (see ``ingestion/schemas.py``). TikTok sends ids as int64
JSON numbers or strings; they land as strings."""
import pyarrow as pa

from ingestion.contract import UTC_TS
from ingestion.privacy import PII_HANDLE

SCHEMAS = {
    # GET /v2/user/info/, one row per tracked account and snapshot day.
    "profiles": pa.schema(
        [
            pa.field("snapshot_date", pa.date32(), nullable=False),
            pa.field("open_id", pa.string(), nullable=False),
            pa.field("union_id", pa.string()),
            pa.field("username", pa.string()),
            pa.field("display_name", pa.string()),
            pa.field("bio_description", pa.string()),
            pa.field("avatar_url", pa.string()),
            pa.field("profile_deep_link", pa.string()),
            pa.field("is_verified", pa.bool_()),
            pa.field("follower_count", pa.int64()),
            pa.field("following_count", pa.int64()),
            pa.field("likes_count", pa.int64()),
            pa.field("video_count", pa.int64()),
        ]
    ),
    # POST /v2/video/list/, read again for the lookback window; lands in the first slice that sees it.
    # open_id: the account that posted it (the list is per user; the video does not say).
    "posts": pa.schema(
        [
            pa.field("id", pa.string(), nullable=False),
            pa.field("open_id", pa.string(), nullable=False),
            pa.field("create_time", UTC_TS, nullable=False),
            pa.field("title", pa.string()),
            pa.field("video_description", pa.string()),
            pa.field("duration", pa.int64()),  # seconds
            pa.field("height", pa.int32()),
            pa.field("width", pa.int32()),
            pa.field("share_url", pa.string()),
            pa.field("embed_link", pa.string()),
            pa.field("cover_image_url", pa.string()),
        ]
    ),
    # The counters of every video inside the tracking window, as of the end of snapshot_date.
    # A metric TikTok cannot give yet ("-") lands as null. Natural key: (snapshot_date, id).
    "post_metrics": pa.schema(
        [
            pa.field("snapshot_date", pa.date32(), nullable=False),
            pa.field("id", pa.string(), nullable=False),
            pa.field("open_id", pa.string(), nullable=False),
            pa.field("like_count", pa.int64()),
            pa.field("comment_count", pa.int64()),
            pa.field("share_count", pa.int64()),
            pa.field("view_count", pa.int64()),
        ]
    ),
    # Research API POST /v2/research/video/comment/list/, read again for the lookback window;
    # lands in the first slice that sees it. TikTok's parent_comment_id is the video's id for a top-level
    # comment and the answered comment's id for a reply (the creator's replies among them).
    # TikTok serves no comment author (neither the Research API nor the demo), so comments
    # carry no commenter id or handle. video_owner_open_id: the tracked account whose video it is.
    "comments": pa.schema(
        [
            pa.field("id", pa.string(), nullable=False),
            pa.field("video_id", pa.string(), nullable=False),
            pa.field("video_owner_open_id", pa.string(), nullable=False),
            pa.field("parent_comment_id", pa.string()),
            pa.field("create_time", UTC_TS, nullable=False),
            pa.field("text", pa.string()),
            pa.field("like_count", pa.int64()),
            pa.field("reply_count", pa.int64()),
        ]
    ),
    # Research API POST /v2/research/user/followers/ -> user_followers[]{display_name, username};
    # the profile fields after those are demo additions (an audience sample with profiles), null
    # where the real API does not send them. TikTok identifies a follower by username only, so
    # it is the key. A follower without a picture has TikTok's default avatar URL, landed as it
    # is; a follower's own picture lands as its URL's folder only (see normalize.avatar_folder):
    # its file name names the person's picture (in the demo, their account id, which no column
    # holds for pseudonymisation to find), and "own picture or default" is all that is used.
    "audience": pa.schema(
        [
            pa.field("snapshot_date", pa.date32(), nullable=False),
            pa.field("followed_open_id", pa.string(), nullable=False),
            pa.field("username", pa.string(), nullable=False, metadata=PII_HANDLE),
            pa.field("display_name", pa.string(), metadata=PII_HANDLE),
            pa.field("avatar_url", pa.string()),
            pa.field("bio_description", pa.string()),
            pa.field("is_verified", pa.bool_()),
            pa.field("follower_count", pa.int64()),
            pa.field("following_count", pa.int64()),
            pa.field("video_count", pa.int64()),
            pa.field("create_time", UTC_TS),  # the follower's account creation
        ]
    ),
}

# Natural key of each entity, used to deduplicate re-read and late rows.
NATURAL_KEYS = {
    "profiles": ("snapshot_date", "open_id"),
    "posts": ("id",),
    "post_metrics": ("snapshot_date", "id"),
    "comments": ("id",),
    "audience": ("snapshot_date", "followed_open_id", "username"),
}
