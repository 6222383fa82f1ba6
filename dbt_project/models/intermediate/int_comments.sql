{#-
    int_comment_events plus, for each follower comment, whether and when the creator
    replied to it. The reply lookup spans every landed day, so this view is for analysis;
    the incremental marts do the same lookup (kol_creator_reply_ctes) on int_comment_events
    bounded to their window (a join inside a view stops the warehouse from pruning the
    lake's partitions).
-#}
with

comment_events as (

    select * from {{ ref('int_comment_events') }}

),

{{ kol_creator_reply_ctes('comment_events') }},

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
