"""The hand-written reference of the full-rebuild benchmark: the warehouse's core aggregates per
account and day (followers, engagement, reply rate, commenters), in one DuckDB SQL script straight
from the raw Parquet of the nine platforms, as a skilled analyst would write it without dbt.

It is what the machine can do for the same work: the benchmark holds ``dbt run --full-refresh`` of
every mart against it. Each platform's raw columns are named as its API names them; the mapping
below is the only place the reference knows them (the dbt staging models are the project's own).
"""
from __future__ import annotations

# platform: (profiles: account, followers), (post_metrics: account, likes, comments, shares),
# (comments: post owner, author or None when the platform names none, creator-reply test)
PLATFORM_COLUMNS = {
    "weibo": (("user_id", "followers_count"), ("user_id", "attitudes_count", "comments_count", "reposts_count"),
              ("status_user_id", "user_id", None)),
    "douyin": (("open_id", "follower_count"), ("open_id", "digg_count", "comment_count", "share_count"),
               ("open_id", "comment_user_id", None)),
    "xiaohongshu": (("user_id", "fans"), ("user_id", "liked_count", "comment_count", "share_count"),
                    ("note_user_id", "user_id", None)),
    "bilibili": (("mid", "follower"), ("mid", '"like"', "reply", "share"), ("upper_mid", "mid", None)),
    "wechat": (("original_id", "cumulate_user"), ("original_id", "0", "0", "share_count"),
               ("original_id", "openid", "is_reply")),
    "instagram": (("id", "followers_count"), ("owner_id", "like_count", "comments_count", "0"),
                  ("media_owner_id", "from_id", None)),
    "tiktok": (("open_id", "follower_count"), ("open_id", "like_count", "comment_count", "share_count"),
               ("video_owner_open_id", None, None)),
    "youtube": (("id", "subscriberCount"), ("channelId", "likeCount", "commentCount", "0"),
                ("channelId", "authorChannelId", None)),
    "x": (("id", "followers_count"), ("author_id", "like_count", "reply_count", "retweet_count"),
          ("conversation_author_id", "author_id", None)),
}


def _scan(lake: str, platform: str, entity: str, first: str, last: str) -> str:
    # As dbt's sources read the lake (every file on the contract: ingestion/lake_upgrade.py).
    return (f"read_parquet('{lake}/raw/{platform}/{entity}/*/*.parquet', hive_partitioning = true) "
            f"where dt between '{first}' and '{last}'")


def reference_sql(lake: str, first: str, last: str, platforms=tuple(PLATFORM_COLUMNS)) -> str:
    """One statement: ``create table reference_account_day`` of every platform's account-days in
    [first, last]."""
    followers, engagement, comments = [], [], []
    for p in platforms:
        (acc, fol), (pacc, likes, n_comments, shares), (cacc, author, is_reply) = PLATFORM_COLUMNS[p]
        followers.append(f"select '{p}' as platform, cast({acc} as varchar) as account_id, "
                         f"cast(snapshot_date as date) as day, max({fol}) as followers "
                         f"from {_scan(lake, p, 'profiles', first, last)} group by all")
        engagement.append(f"select '{p}' as platform, cast({pacc} as varchar) as account_id, "
                          f"cast(snapshot_date as date) as day, count(*) as tracked_posts, "
                          f"sum(coalesce({likes}, 0) + coalesce({n_comments}, 0) + coalesce({shares}, 0)) as engagement "
                          f"from {_scan(lake, p, 'post_metrics', first, last)} group by all")
        by_creator = (f"coalesce({is_reply}, false)" if is_reply else
                      f"cast({author} as varchar) = cast({cacc} as varchar)" if author else "false")
        commenter = f"cast({author} as varchar)" if author else "null"
        comments.append(f"select '{p}' as platform, cast({cacc} as varchar) as account_id, cast(dt as date) as day, "
                        f"count(*) filter (where not ({by_creator})) as follower_comments, "
                        f"count(*) filter (where {by_creator}) as creator_replies, "
                        f"count(distinct {commenter}) filter (where not ({by_creator})) as unique_commenters "
                        f"from {_scan(lake, p, 'comments', first, last)} group by all")
    union = "\n    union all\n    ".join
    return f"""create or replace table reference_account_day as
with followers as (
    {union(followers)}
), engagement as (
    {union(engagement)}
), comments as (
    {union(comments)}
)
select f.platform, f.account_id, f.day, f.followers,
       e.tracked_posts, e.engagement, e.engagement / nullif(f.followers, 0) as engagement_rate,
       c.follower_comments, c.creator_replies, c.unique_commenters,
       c.creator_replies / nullif(c.follower_comments, 0) as reply_rate
from followers f
left join engagement e using (platform, account_id, day)
left join comments c using (platform, account_id, day)
"""
