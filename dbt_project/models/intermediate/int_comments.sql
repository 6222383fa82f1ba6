{#-
    int_comment_events plus, for each follower comment, whether and when the creator
    replied to it. The reply lookup spans every landed day, so this view is for analysis;
    the incremental marts do the same join on int_comment_events bounded to their window
    (a join inside a view stops the warehouse from pruning the lake's partitions).
-#}
with

comment_events as (

    select * from {{ ref('int_comment_events') }}

),

follower_comments as (

    select * from comment_events
    where is_follower_comment

),

creator_replies as (

    select * from comment_events
    where is_creator_reply

),

first_creator_replies as (

    select
        follower_comments.comment_key,
        min(creator_replies.commented_at) as first_creator_reply_at,
        count(*) as creator_reply_count

    from follower_comments
    inner join creator_replies
        on creator_replies.parent_comment_key = follower_comments.comment_key
        and creator_replies.account_key = follower_comments.account_key

    group by follower_comments.comment_key

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

)

select * from final
