"""WeChat Official Account's data contract: one pyarrow schema per landed entity, with
WeChat's own field names and real types (see ``ingestion/schemas.py``).

WeChat names an official account by its original id (``gh_...``, ``original_id``) and
a person by an ``openid`` that is different for every account they follow."""
import pyarrow as pa

from ingestion.contract import UTC_TS
from ingestion.privacy import PII_HANDLE, PII_ID, PII_URL

_ARTICLE_COUNTERS = [
    # "*_user" fields count people, "*_count" fields count times (a reader reading twice counts once
    # in int_page_read_user and twice in int_page_read_count).
    pa.field("int_page_read_user", pa.int64()),
    pa.field("int_page_read_count", pa.int64()),
    pa.field("ori_page_read_user", pa.int64()),  # the "阅读原文" page the article links to
    pa.field("ori_page_read_count", pa.int64()),
    pa.field("share_user", pa.int64()),
    pa.field("share_count", pa.int64()),
    pa.field("add_to_fav_user", pa.int64()),
    pa.field("add_to_fav_count", pa.int64()),
]

SCHEMAS = {
    # cgi-bin/account/getaccountbasicinfo, with the day's datacube/getusercumulate (followers at
    # the end of the day) and datacube/getusersummary (followers gained and lost over the day,
    # summed over user_source). WeChat serves no post count for an account.
    "profiles": pa.schema(
        [
            pa.field("snapshot_date", pa.date32(), nullable=False),
            pa.field("original_id", pa.string(), nullable=False),
            pa.field("nickname", pa.string()),
            pa.field("principal_name", pa.string()),
            pa.field("signature", pa.string()),
            pa.field("head_image_url", pa.string()),
            pa.field("qualification_verify", pa.bool_()),
            pa.field("cumulate_user", pa.int64()),
            pa.field("new_user", pa.int64()),
            pa.field("cancel_user", pa.int64()),
        ]
    ),
    # datacube/getarticletotal of each push day. WeChat gives no publication time for an
    # article, only its push day (ref_date, a Beijing day on the real platform, a UTC day in the
    # demo); an article is read again for the lookback window and lands in the first slice that sees it.
    # msgid is "<msg_data_id>_<n>" with n counted from 1; `index` is the article's place in its
    # push counted from 0, as cgi-bin/comment/list takes it.
    # Articles whose reads + shares + favourites add up to fewer than 3 are not listed by
    # WeChat and so are not landed.
    "posts": pa.schema(
        [
            pa.field("msgid", pa.string(), nullable=False),
            pa.field("original_id", pa.string(), nullable=False),
            pa.field("msg_data_id", pa.string(), nullable=False),
            pa.field("index", pa.int32(), nullable=False),
            pa.field("ref_date", pa.date32(), nullable=False),
            pa.field("title", pa.string()),
        ]
    ),
    # getarticletotal's cumulative `details` entry whose stat_date is snapshot_date, for every
    # article pushed within the tracking window (WeChat counts an article for 7 days, the same
    # window). target_user: the followers the push reached. Natural key: (snapshot_date, msgid).
    "post_metrics": pa.schema(
        [
            pa.field("snapshot_date", pa.date32(), nullable=False),
            pa.field("msgid", pa.string(), nullable=False),
            pa.field("original_id", pa.string(), nullable=False),
            pa.field("ref_date", pa.date32(), nullable=False),
            pa.field("target_user", pa.int64()),
            *_ARTICLE_COUNTERS,
        ]
    ),
    # cgi-bin/comment/list. user_comment_id numbers an article's comments from 1, so it is unique
    # per article only: the key is (msgid, user_comment_id, is_reply). The account's answer is
    # nested in WeChat as `reply{content, create_time}` without an id of its own; it is landed as
    # a row of its own with is_reply true, openid = the account's original_id, and
    # reply_to_user_comment_id = the comment it answers. Read again for the lookback window;
    # lands in the first slice that sees it.
    "comments": pa.schema(
        [
            pa.field("msgid", pa.string(), nullable=False),
            pa.field("original_id", pa.string(), nullable=False),
            pa.field("user_comment_id", pa.string(), nullable=False),
            pa.field("is_reply", pa.bool_(), nullable=False),
            pa.field("openid", pa.string(), nullable=False, metadata=PII_ID),
            pa.field("create_time", UTC_TS, nullable=False),
            pa.field("content", pa.string()),
            pa.field("comment_type", pa.int32()),  # 1: elected (精选), shown publicly
            pa.field("reply_to_user_comment_id", pa.string()),
        ]
    ),
    # cgi-bin/user/get (the followers' openids) and cgi-bin/user/info/batchget. Real WeChat stopped
    # serving nickname and headimgurl in 2021 and never served the follower's own counts,
    # signature or account creation time: those come from the demo's additions (null where a
    # real account does not send them). headimgurl "" (no avatar) lands as null.
    "audience": pa.schema(
        [
            pa.field("snapshot_date", pa.date32(), nullable=False),
            pa.field("original_id", pa.string(), nullable=False),
            pa.field("openid", pa.string(), nullable=False, metadata=PII_ID),
            pa.field("nickname", pa.string(), metadata=PII_HANDLE),
            pa.field("subscribe", pa.bool_()),
            pa.field("subscribe_time", UTC_TS),
            pa.field("subscribe_scene", pa.string()),
            pa.field("language", pa.string()),
            pa.field("headimgurl", pa.string(), metadata=PII_URL),  # the URL can carry the openid
            pa.field("signature", pa.string()),
            pa.field("follower_count", pa.int64()),
            pa.field("following_count", pa.int64()),
            pa.field("post_count", pa.int64()),
            pa.field("account_create_time", UTC_TS),
        ]
    ),
}

# Natural key of each entity, used to deduplicate re-read and late rows.
NATURAL_KEYS = {
    "profiles": ("snapshot_date", "original_id"),
    "posts": ("msgid",),
    "post_metrics": ("snapshot_date", "msgid"),
    "comments": ("msgid", "user_comment_id", "is_reply"),
    "audience": ("snapshot_date", "original_id", "openid"),
}
