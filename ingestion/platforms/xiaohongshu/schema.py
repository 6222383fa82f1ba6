"""Xiaohongshu's (RED's) data contract: one pyarrow schema per landed entity, with the web
API's own field names and real types (see ``ingestion/schemas.py``). RED writes every count
as a display string (``"1.2万"``, ``"3,456"``, ``"2.5k"``, ``"10万+"``); they land as int64,
to the display's precision, and ``"未知"`` (unknown) lands as null."""
import pyarrow as pa

from ingestion.contract import UTC_TS
from ingestion.privacy import PII_HANDLE, PII_ID, PII_URL

SCHEMAS = {
    # /api/sns/web/v1/user/otherinfo, one row per tracked account and snapshot day. The
    # answer does not repeat the user id (it comes from the request); follows, fans and
    # interaction (likes and collects received) are its `interactions[].count`.
    "profiles": pa.schema(
        [
            pa.field("snapshot_date", pa.date32(), nullable=False),
            pa.field("user_id", pa.string(), nullable=False),
            pa.field("nickname", pa.string()),
            pa.field("red_id", pa.string()),
            pa.field("desc", pa.string()),
            pa.field("gender", pa.int32()),
            pa.field("ip_location", pa.string()),
            pa.field("images", pa.string()),
            pa.field("follows", pa.int64()),
            pa.field("fans", pa.int64()),
            pa.field("interaction", pa.int64()),
        ]
    ),
    # /api/sns/web/v1/user_posted (or the note's /feed card where the list lacks a field),
    # every note created in the lookback window. `desc` is only in the feed card.
    "posts": pa.schema(
        [
            pa.field("note_id", pa.string(), nullable=False),
            pa.field("user_id", pa.string(), nullable=False),
            pa.field("time", UTC_TS, nullable=False),
            pa.field("type", pa.string()),
            pa.field("display_title", pa.string()),
            pa.field("desc", pa.string()),
            pa.field("ip_location", pa.string()),
        ]
    ),
    # interact_info of every note inside the tracking window, as of the end of snapshot_date.
    "post_metrics": pa.schema(
        [
            pa.field("snapshot_date", pa.date32(), nullable=False),
            pa.field("note_id", pa.string(), nullable=False),
            pa.field("user_id", pa.string(), nullable=False),
            pa.field("liked_count", pa.int64()),
            pa.field("collected_count", pa.int64()),
            pa.field("comment_count", pa.int64()),
            pa.field("share_count", pa.int64()),
        ]
    ),
    # /api/sns/web/v2/comment/page with its sub comments (and /comment/sub/page where a
    # comment has more), landed when written in the lookback window. note_user_id is the
    # note's author (from the request); target_comment_id is the comment a sub comment
    # answers (its `target_comment.id`, else its root); is_author marks the note author's own
    # replies (`show_tags: ["is_author"]`).
    "comments": pa.schema(
        [
            pa.field("id", pa.string(), nullable=False),
            pa.field("note_id", pa.string(), nullable=False),
            pa.field("note_user_id", pa.string(), nullable=False),
            pa.field("user_id", pa.string(), nullable=False, metadata=PII_ID),
            pa.field("nickname", pa.string(), metadata=PII_HANDLE),
            pa.field("create_time", UTC_TS, nullable=False),
            pa.field("content", pa.string()),
            pa.field("ip_location", pa.string()),
            pa.field("like_count", pa.int64()),
            pa.field("sub_comment_count", pa.int64()),
            pa.field("root_comment_id", pa.string()),
            pa.field("target_comment_id", pa.string()),
            pa.field("is_author", pa.bool_()),
        ]
    ),
    # RED has no follower list on the web: the demo's /api/sns/web/v1/user/audience_sample
    # (a demo addition) gives a sample of follower profiles with RED's user-page fields.
    "audience": pa.schema(
        [
            pa.field("snapshot_date", pa.date32(), nullable=False),
            pa.field("followed_user_id", pa.string(), nullable=False),
            pa.field("user_id", pa.string(), nullable=False, metadata=PII_ID),
            pa.field("nickname", pa.string(), metadata=PII_HANDLE),
            pa.field("images", pa.string(), metadata=PII_URL),
            pa.field("desc", pa.string()),
            pa.field("fans", pa.int64()),
            pa.field("follows", pa.int64()),
            pa.field("notes", pa.int64()),
            pa.field("create_time", UTC_TS),
        ]
    ),
}

# Natural key of each entity, used to deduplicate re-read and late rows.
NATURAL_KEYS = {
    "profiles": ("snapshot_date", "user_id"),
    "posts": ("note_id",),
    "post_metrics": ("snapshot_date", "note_id"),
    "comments": ("id",),
    "audience": ("snapshot_date", "followed_user_id", "user_id"),
}
