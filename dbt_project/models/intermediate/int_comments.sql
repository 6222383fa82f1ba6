{#-
    int_comment_events plus, for each follower comment, whether and when the creator
    replied to it. The reply lookup spans every landed day, so this view is for analysis;
    the incremental marts do the same lookup (kol_creator_reply_ctes) on int_comment_events
    bounded to their window (a join inside a view stops the warehouse from pruning the
    lake's partitions).

    The lookup is kol_creator_reply_ctes' (a reply counts when it answers that comment on the
    same account), written out so that each relation is read once (a CTE read twice is
    materialised whole, every column of every landed day) and keyed by the follower comment's
    partition_date too: a filter on partition_date (the key tests' window) then reaches the
    follower side of the lookup; the creator replies are still looked for on every landed day.
-#}
with

comment_events as (

    select * from {{ ref('int_comment_events') }}

),

follower_comments as (

    select comment_key, account_key, partition_date
    from {{ ref('int_comment_events') }}
    where is_follower_comment

),

creator_replies as (

    select parent_comment_key, account_key, commented_at
    from {{ ref('int_comment_events') }}
    where is_creator_reply

),

first_creator_replies as (

    select
        follower_comments.comment_key,
        follower_comments.partition_date,
        min(creator_replies.commented_at) as first_creator_reply_at,
        count(*) as creator_reply_count

    from follower_comments
    inner join creator_replies
        on creator_replies.parent_comment_key = follower_comments.comment_key
        and creator_replies.account_key = follower_comments.account_key

    group by follower_comments.comment_key, follower_comments.partition_date

),

final as (

    select
        comment_events.*,
        case
            when comment_events.is_follower_comment
                then first_creator_replies.comment_key is not null
        end as has_creator_reply,
        first_creator_replies.first_creator_reply_at,
        case
            when comment_events.is_follower_comment
                then coalesce(first_creator_replies.creator_reply_count, 0)
        end as creator_reply_count,
        {{ kol_seconds_between('comment_events.commented_at', 'first_creator_replies.first_creator_reply_at') }}
            as reply_latency_seconds

    from comment_events
    left join first_creator_replies
        on first_creator_replies.comment_key = comment_events.comment_key
        and first_creator_replies.partition_date = comment_events.partition_date

)

select * from final
