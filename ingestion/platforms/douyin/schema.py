"""Douyin's data contract: one pyarrow schema per landed entity, with the open platform's own
field names and real types (see ``ingestion/schemas.py``)."""
import pyarrow as pa

from ingestion.contract import UTC_TS
from ingestion.privacy import PII_HANDLE, PII_ID, PII_URL

SCHEMAS = {
    # /oauth/userinfo/, one row per tracked account and snapshot day. follower_count,
    # following_count and aweme_count are the demo's additions (the open platform keeps the
    # counts elsewhere, null on the real API); total_fans and new_fans are the snapshot day's
    # row of /data/external/user/fans/, the open platform's own follower numbers. new_fans is
    # a net change and goes negative on a day with more unfollows than follows.
    "profiles": pa.schema(
        [
            pa.field("snapshot_date", pa.date32(), nullable=False),
            pa.field("open_id", pa.string(), nullable=False),
            pa.field("union_id", pa.string()),
            pa.field("nickname", pa.string()),
            pa.field("avatar", pa.string()),
            pa.field("e_account_role", pa.string()),
            pa.field("follower_count", pa.int64()),
            pa.field("following_count", pa.int64()),
            pa.field("aweme_count", pa.int64()),
            pa.field("total_fans", pa.int64()),
            pa.field("new_fans", pa.int64()),
        ]
    ),
    # /api/douyin/v1/video/video_list/, every video created in the lookback window.
    "posts": pa.schema(
        [
            pa.field("item_id", pa.string(), nullable=False),
            pa.field("open_id", pa.string(), nullable=False),
            pa.field("create_time", UTC_TS, nullable=False),
            pa.field("title", pa.string()),
            pa.field("cover", pa.string()),
            pa.field("share_url", pa.string()),
            pa.field("media_type", pa.int32()),
            pa.field("video_status", pa.int32()),
            pa.field("is_top", pa.bool_()),
            pa.field("is_reviewed", pa.bool_()),
        ]
    ),
    # The counters of every video inside the tracking window: the list's `statistics` as of
    # the end of snapshot_date, and /data/external/item/base/'s totals. Item data is T+1:
    # it describes the end of item_data_date, the day before the snapshot, and is null for a
    # video published after that (the platform shows zeros for it). `play_count` is kept as
    # the list says it, though it is 0 for most videos; total_play holds the plays.
    "post_metrics": pa.schema(
        [
            pa.field("snapshot_date", pa.date32(), nullable=False),
            pa.field("item_id", pa.string(), nullable=False),
            pa.field("open_id", pa.string(), nullable=False),
            pa.field("digg_count", pa.int64()),
            pa.field("comment_count", pa.int64()),
            pa.field("share_count", pa.int64()),
            pa.field("play_count", pa.int64()),
            pa.field("forward_count", pa.int64()),
            pa.field("download_count", pa.int64()),
            pa.field("item_data_date", pa.date32()),
            pa.field("total_play", pa.int64()),
            pa.field("total_like", pa.int64()),
            pa.field("total_comment", pa.int64()),
            pa.field("total_share", pa.int64()),
            pa.field("avg_play_duration", pa.float64()),
        ]
    ),
    # /item/comment/list/ (top-level) and /item/comment/reply/list/ (replies, the creator's
    # answers among them), landed when written in the lookback window. item_id and open_id
    # (the video and its owner) come from the request; reply_to_comment_id is the comment a
    # reply answers (the `comment_id` the reply list was asked for). Douyin names commenters
    # by open id only: there is no handle to protect.
    "comments": pa.schema(
        [
            pa.field("comment_id", pa.string(), nullable=False),
            pa.field("item_id", pa.string(), nullable=False),
            pa.field("open_id", pa.string(), nullable=False),
            pa.field("comment_user_id", pa.string(), nullable=False, metadata=PII_ID),
            pa.field("create_time", UTC_TS, nullable=False),
            pa.field("content", pa.string()),
            pa.field("digg_count", pa.int64()),
            pa.field("reply_comment_total", pa.int64()),
            pa.field("top", pa.bool_()),
            pa.field("reply_to_comment_id", pa.string()),
        ]
    ),
    # /fans/list/: the day's audience sample. The real list (a legacy scope) gives open_id,
    # union_id, nickname, avatar, gender and region; the demo adds follower_count,
    # following_count, aweme_count, signature and create_time (account creation).
    "audience": pa.schema(
        [
            pa.field("snapshot_date", pa.date32(), nullable=False),
            pa.field("followed_open_id", pa.string(), nullable=False),
            pa.field("open_id", pa.string(), nullable=False, metadata=PII_ID),
            pa.field("union_id", pa.string(), metadata=PII_ID),
            pa.field("nickname", pa.string(), metadata=PII_HANDLE),
            pa.field("avatar", pa.string(), metadata=PII_URL),
            pa.field("gender", pa.int32()),
            pa.field("country", pa.string()),
            pa.field("province", pa.string()),
            pa.field("city", pa.string()),
            pa.field("follower_count", pa.int64()),
            pa.field("following_count", pa.int64()),
            pa.field("aweme_count", pa.int64()),
            pa.field("signature", pa.string()),
            pa.field("create_time", UTC_TS),
        ]
    ),
}

# Natural key of each entity, used to deduplicate re-read and late rows.
NATURAL_KEYS = {
    "profiles": ("snapshot_date", "open_id"),
    "posts": ("item_id",),
    "post_metrics": ("snapshot_date", "item_id"),
    "comments": ("comment_id",),
    "audience": ("snapshot_date", "followed_open_id", "open_id"),
}
