"""Bilibili's data contract: one pyarrow schema per landed entity, with the web API's own
field names and real types (see ``ingestion/schemas.py``). Ids are strings here, though
Bilibili sends ``aid``, ``mid`` and ``rpid`` as ints almost everywhere."""
import pyarrow as pa

from ingestion.contract import UTC_TS
from ingestion.privacy import PII_HANDLE, PII_ID, PII_URL

SCHEMAS = {
    # /x/web-interface/card, one row per tracked account and snapshot day: `card` and the
    # answer's own follower and archive counts.
    "profiles": pa.schema(
        [
            pa.field("snapshot_date", pa.date32(), nullable=False),
            pa.field("mid", pa.string(), nullable=False),
            pa.field("name", pa.string()),
            pa.field("sign", pa.string()),
            pa.field("face", pa.string()),
            pa.field("follower", pa.int64()),
            pa.field("attention", pa.int64()),
            pa.field("archive_count", pa.int64()),
            pa.field("article_count", pa.int64()),
            pa.field("level", pa.int32()),
        ]
    ),
    # /x/space/wbi/arc/search `vlist` items, every video created in the lookback window.
    # `length` is Bilibili's "MM:SS" (minutes not wrapped into hours) in seconds.
    "posts": pa.schema(
        [
            pa.field("aid", pa.string(), nullable=False),
            pa.field("bvid", pa.string()),
            pa.field("mid", pa.string(), nullable=False),
            pa.field("created", UTC_TS, nullable=False),
            pa.field("title", pa.string()),
            pa.field("description", pa.string()),
            pa.field("length", pa.int32()),
            pa.field("typeid", pa.int32()),
            pa.field("copyright", pa.string()),
            pa.field("is_live_playback", pa.bool_()),
        ]
    ),
    # /x/web-interface/view `stat` of every video inside the tracking window, as of the end
    # of snapshot_date (`dislike` is always 0 and is left out). A video the view no longer
    # shows (deleted or back under review after it was listed) keeps the list's play,
    # comment and video_review (danmaku) as view, reply and danmaku, the rest null.
    "post_metrics": pa.schema(
        [
            pa.field("snapshot_date", pa.date32(), nullable=False),
            pa.field("aid", pa.string(), nullable=False),
            pa.field("mid", pa.string(), nullable=False),
            pa.field("view", pa.int64()),
            pa.field("danmaku", pa.int64()),
            pa.field("reply", pa.int64()),
            pa.field("favorite", pa.int64()),
            pa.field("coin", pa.int64()),
            pa.field("share", pa.int64()),
            pa.field("like", pa.int64()),
        ]
    ),
    # /x/v2/reply (root comments, each with its first sub-replies) and /x/v2/reply/reply
    # (the rest), landed when written in the lookback window. upper_mid is the video's
    # uploader (the answer's `upper.mid`); `parent` is the reply a sub-reply answers (the
    # uploader's answers among them), null on a root; `root` is its thread.
    "comments": pa.schema(
        [
            pa.field("rpid", pa.string(), nullable=False),
            pa.field("oid", pa.string(), nullable=False),
            pa.field("upper_mid", pa.string(), nullable=False),
            pa.field("mid", pa.string(), nullable=False, metadata=PII_ID),
            pa.field("uname", pa.string(), metadata=PII_HANDLE),
            pa.field("ctime", UTC_TS, nullable=False),
            pa.field("message", pa.string()),
            pa.field("like", pa.int64()),
            pa.field("rcount", pa.int64()),
            pa.field("root", pa.string()),
            pa.field("parent", pa.string()),
        ]
    ),
    # /x/relation/fans: the day's audience sample. The real list gives mid, uname, face, sign
    # and mtime (when they followed); the demo adds follower, following, archive_count and
    # jointime (account creation; 0 on the real platform, landed as null).
    "audience": pa.schema(
        [
            pa.field("snapshot_date", pa.date32(), nullable=False),
            pa.field("vmid", pa.string(), nullable=False),
            pa.field("mid", pa.string(), nullable=False, metadata=PII_ID),
            pa.field("uname", pa.string(), metadata=PII_HANDLE),
            pa.field("face", pa.string(), metadata=PII_URL),
            pa.field("sign", pa.string()),
            pa.field("mtime", UTC_TS),
            pa.field("follower", pa.int64()),
            pa.field("following", pa.int64()),
            pa.field("archive_count", pa.int64()),
            pa.field("jointime", UTC_TS),
        ]
    ),
}

# Natural key of each entity, used to deduplicate re-read and late rows.
NATURAL_KEYS = {
    "profiles": ("snapshot_date", "mid"),
    "posts": ("aid",),
    "post_metrics": ("snapshot_date", "aid"),
    "comments": ("rpid",),
    "audience": ("snapshot_date", "vmid", "mid"),
}
