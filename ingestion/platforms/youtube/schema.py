"""YouTube's data contract: one pyarrow schema per landed entity, with the Data API's own
(camelCase) field names, flattened out of their parts (``snippet``, ``statistics``, ...),
and real types: ids as strings, times in UTC, counts as int64 (the API sends every
statistic as a string)."""
import pyarrow as pa

from ingestion.contract import UTC_TS
from ingestion.privacy import PII_HANDLE, PII_ID, PII_URL

SCHEMAS = {
    # channels.list (snippet, statistics, contentDetails), one row per tracked channel and snapshot day.
    # subscriberCount is what YouTube shows: rounded down to three significant digits above 1,000,
    # so a large channel's count stays flat for days and then moves a whole step. It is absent
    # (null) when hiddenSubscriberCount is true.
    "profiles": pa.schema(
        [
            pa.field("snapshot_date", pa.date32(), nullable=False),
            pa.field("id", pa.string(), nullable=False),
            pa.field("title", pa.string()),
            pa.field("customUrl", pa.string()),
            pa.field("country", pa.string()),
            pa.field("publishedAt", UTC_TS),
            pa.field("subscriberCount", pa.int64()),
            pa.field("hiddenSubscriberCount", pa.bool_()),
            pa.field("videoCount", pa.int64()),
            pa.field("viewCount", pa.int64()),
            pa.field("uploadsPlaylistId", pa.string()),
        ]
    ),
    # videos.list (snippet, contentDetails, paidProductPlacementDetails), landed on every day of
    # the lookback window after the video was published. duration is ISO-8601 as YouTube sends it
    # (PT4M13S; P0D while a live stream is on air).
    "posts": pa.schema(
        [
            pa.field("id", pa.string(), nullable=False),
            pa.field("channelId", pa.string(), nullable=False),
            pa.field("publishedAt", UTC_TS, nullable=False),
            pa.field("title", pa.string()),
            pa.field("description", pa.string()),
            pa.field("categoryId", pa.string()),
            pa.field("liveBroadcastContent", pa.string()),
            pa.field("duration", pa.string()),
            pa.field("hasPaidProductPlacement", pa.bool_()),
        ]
    ),
    # videos.list statistics of every video inside the tracking window, as of the end of
    # snapshot_date. likeCount is null when the creator hides likes, commentCount when comments
    # are off. Natural key: (snapshot_date, id).
    "post_metrics": pa.schema(
        [
            pa.field("snapshot_date", pa.date32(), nullable=False),
            pa.field("id", pa.string(), nullable=False),
            pa.field("channelId", pa.string(), nullable=False),
            pa.field("viewCount", pa.int64()),
            pa.field("likeCount", pa.int64()),
            pa.field("commentCount", pa.int64()),
        ]
    ),
    # commentThreads.list (snippet, replies), flattened: one row per thread (its top-level
    # comment, whose id the thread shares) and per reply. channelId is the video's owner;
    # totalReplyCount is the thread's, on top-level rows; parentId is set on replies (the
    # channel's own answers) and is the id of the top-level comment they answer. Landed on every
    # day of the lookback window after the comment was written.
    "comments": pa.schema(
        [
            pa.field("id", pa.string(), nullable=False),
            pa.field("videoId", pa.string(), nullable=False),
            pa.field("channelId", pa.string(), nullable=False),
            pa.field("authorChannelId", pa.string(), nullable=False, metadata=PII_ID),
            pa.field("authorDisplayName", pa.string(), metadata=PII_HANDLE),
            pa.field("publishedAt", UTC_TS, nullable=False),
            pa.field("updatedAt", UTC_TS),
            pa.field("textDisplay", pa.string()),
            pa.field("likeCount", pa.int64()),
            pa.field("totalReplyCount", pa.int64()),
            pa.field("parentId", pa.string()),
        ]
    ),
    # subscriptions.list?mySubscribers=true: the channel's subscribers (the demo lists the day's
    # audience sample). resourceChannelId is the tracked channel, subscriberChannelId the
    # subscriber. publishedAt (the subscriber channel's creation) and the subscriberStatistics
    # part are demo additions; against the real API they come from channels.list of the
    # subscriber (subscriptionCount not at all). A default-avatar thumbnailUrl means no avatar;
    # an avatar URL can embed the subscriber's id, which landing pseudonymises inside it.
    "audience": pa.schema(
        [
            pa.field("snapshot_date", pa.date32(), nullable=False),
            pa.field("resourceChannelId", pa.string(), nullable=False),
            pa.field("subscriberChannelId", pa.string(), nullable=False, metadata=PII_ID),
            pa.field("title", pa.string(), metadata=PII_HANDLE),
            pa.field("description", pa.string()),
            pa.field("thumbnailUrl", pa.string(), metadata=PII_URL),
            pa.field("publishedAt", UTC_TS),
            pa.field("subscribedAt", UTC_TS),
            pa.field("subscriberCount", pa.int64()),
            pa.field("videoCount", pa.int64()),
            pa.field("subscriptionCount", pa.int64()),
        ]
    ),
}

# Natural key of each entity, used to deduplicate re-read and late rows.
NATURAL_KEYS = {
    "profiles": ("snapshot_date", "id"),
    "posts": ("id",),
    "post_metrics": ("snapshot_date", "id"),
    "comments": ("id",),
    "audience": ("snapshot_date", "resourceChannelId", "subscriberChannelId"),
}
