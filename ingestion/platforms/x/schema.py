"""X's data contract: one pyarrow schema per landed entity, with X API v2's own field names
(``public_metrics`` flattened to its counters) and real types: snowflake ids as strings,
times in UTC, counts as int64."""
import pyarrow as pa

from ingestion.contract import UTC_TS
from ingestion.privacy import PII_HANDLE, PII_ID, PII_URL

SCHEMAS = {
    # GET /2/users/:id, one row per tracked account and snapshot day.
    "profiles": pa.schema(
        [
            pa.field("snapshot_date", pa.date32(), nullable=False),
            pa.field("id", pa.string(), nullable=False),
            pa.field("username", pa.string()),
            pa.field("name", pa.string()),
            pa.field("created_at", UTC_TS),
            pa.field("description", pa.string()),
            pa.field("profile_image_url", pa.string()),
            pa.field("protected", pa.bool_()),
            pa.field("verified", pa.bool_()),
            pa.field("followers_count", pa.int64()),
            pa.field("following_count", pa.int64()),
            pa.field("tweet_count", pa.int64()),
            pa.field("listed_count", pa.int64()),
            pa.field("like_count", pa.int64()),
        ]
    ),
    # GET /2/users/:id/tweets with exclude=replies,retweets: the account's own posts, landed on
    # every day of the lookback window after they were posted. media_count is the number of
    # attachments.media_keys.
    "posts": pa.schema(
        [
            pa.field("id", pa.string(), nullable=False),
            pa.field("author_id", pa.string(), nullable=False),
            pa.field("created_at", UTC_TS, nullable=False),
            pa.field("conversation_id", pa.string()),
            pa.field("text", pa.string()),
            pa.field("lang", pa.string()),
            pa.field("media_count", pa.int32()),
        ]
    ),
    # public_metrics of every post inside the tracking window, as of the end of snapshot_date.
    # impression_count is null where X has none (posts older than December 2022).
    # Natural key: (snapshot_date, id).
    "post_metrics": pa.schema(
        [
            pa.field("snapshot_date", pa.date32(), nullable=False),
            pa.field("id", pa.string(), nullable=False),
            pa.field("author_id", pa.string(), nullable=False),
            pa.field("retweet_count", pa.int64()),
            pa.field("reply_count", pa.int64()),
            pa.field("like_count", pa.int64()),
            pa.field("quote_count", pa.int64()),
            pa.field("bookmark_count", pa.int64()),
            pa.field("impression_count", pa.int64()),
        ]
    ),
    # Replies in a post's conversation (GET /2/tweets/search/recent?query=conversation_id:<id>):
    # followers' replies and the account's own answers to them. conversation_id is the post,
    # conversation_author_id its author; replied_to_id is referenced_tweets[replied_to].id, the
    # tweet the reply answers: the post itself for a direct reply (replied_to_id =
    # conversation_id), the follower's reply for the account's answer. text is the displayed
    # part (display_text_range): the leading @mentions of the reply chain, which name the
    # person answered, are left out; in_reply_to_user_id carries who that is.
    "comments": pa.schema(
        [
            pa.field("id", pa.string(), nullable=False),
            pa.field("conversation_id", pa.string(), nullable=False),
            pa.field("conversation_author_id", pa.string(), nullable=False),
            pa.field("author_id", pa.string(), nullable=False, metadata=PII_ID),
            pa.field("username", pa.string(), metadata=PII_HANDLE),
            pa.field("created_at", UTC_TS, nullable=False),
            pa.field("text", pa.string()),
            pa.field("in_reply_to_user_id", pa.string(), metadata=PII_ID),
            pa.field("replied_to_id", pa.string()),
        ]
    ),
    # GET /2/users/:id/followers: the newest followers' profiles (the demo lists the day's
    # audience sample). X's default avatar (default_profile_images) means no avatar; an avatar
    # URL can embed the follower's id, which landing pseudonymises inside it.
    "audience": pa.schema(
        [
            pa.field("snapshot_date", pa.date32(), nullable=False),
            pa.field("followed_user_id", pa.string(), nullable=False),
            pa.field("id", pa.string(), nullable=False, metadata=PII_ID),
            pa.field("username", pa.string(), metadata=PII_HANDLE),
            pa.field("name", pa.string(), metadata=PII_HANDLE),
            pa.field("created_at", UTC_TS),
            pa.field("description", pa.string()),
            pa.field("profile_image_url", pa.string(), metadata=PII_URL),
            pa.field("protected", pa.bool_()),
            pa.field("verified", pa.bool_()),
            pa.field("followers_count", pa.int64()),
            pa.field("following_count", pa.int64()),
            pa.field("tweet_count", pa.int64()),
            pa.field("listed_count", pa.int64()),
            pa.field("like_count", pa.int64()),
        ]
    ),
}

# Natural key of each entity, used to deduplicate re-read and late rows.
NATURAL_KEYS = {
    "profiles": ("snapshot_date", "id"),
    "posts": ("id",),
    "post_metrics": ("snapshot_date", "id"),
    "comments": ("id",),
    "audience": ("snapshot_date", "followed_user_id", "id"),
}
