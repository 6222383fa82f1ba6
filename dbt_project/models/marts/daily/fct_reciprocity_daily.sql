{{ config(unique_key=['account_key', 'date_day']) }}

{#-
    Reciprocity ("talking, but also listening"), one row per account and snapshot day in
    [min_date, max_date], over the follower comments of the trailing
    reciprocity_window_days days (the day included), as known at the end of the day: a
    comment or a reply counts once it is landed, so a later reply never changes a past day.
    Lookback: comments back reciprocity_window_days - 1 days (a creator reply is never
    older than the comment it answers, so the same bound covers replies).
    Where the platform hides comment authors (TikTok), who talks and who listens is
    unknown: every measure is null, not 0.
    Linear in the comments (kol_trailing_follower_comment_ctes): a comment's counts come in
    on the day it is written and landed and go out the day after its window ends, and each
    day's counts are running sums of those changes; only the replied comments are joined to
    the days they count for, for the median latency.
-#}
{%- set window_days = kol_days_var('reciprocity_window_days') -%}
{%- set lookback = window_days - 1 -%}

with

account_days as (

    {{ kol_account_days_in_window() }}

),

comment_events as (

    select
        comment_key,
        parent_comment_key,
        account_key,
        commenter_id,
        commented_at,
        commented_date,
        is_creator_reply,
        is_follower_comment,
        addresses_creator,
        partition_date

    from {{ ref('int_comment_events') }}
    where {{ kol_in_window('partition_date', lookback) }}

),

-- trailing_conversation (each account day's follower comments of the window, with the
-- KOL's replies landed by then) and trailing_unknown_authors: linear in the comments, each
-- adds its counts on the day it is known and takes them back when it leaves the window
-- (see the macro)
{{ kol_trailing_follower_comment_ctes('account_days', 'comment_events', lookback) }},

authors_unknown as (

    select account_key, date_day
    from trailing_unknown_authors
    where unknown_author_comments > 0

),

measured as (

    select
        account_days.account_key,
        account_days.platform,
        account_days.region,
        account_days.account_id,
        account_days.date_day,
        authors_unknown.account_key is null as authors_known,
        coalesce(trailing_conversation.follower_comments, 0) as follower_comments,
        coalesce(trailing_conversation.follower_comments_replied, 0) as follower_comments_replied,
        coalesce(trailing_conversation.creator_replies, 0) as creator_replies,
        trailing_conversation.median_reply_latency_seconds,
        coalesce(trailing_conversation.follower_comments_with_text, 0) as follower_comments_with_text,
        coalesce(trailing_conversation.direct_address_comments, 0) as direct_address_comments

    from account_days
    {{- kol_left_join_daily('account_days', ['trailing_conversation', 'authors_unknown']) }}

),

final as (

    select
        account_key,
        platform,
        region,
        account_id,
        date_day,
        {{ window_days }} as reciprocity_window_days,
        case when authors_known then follower_comments end as follower_comments,
        case when authors_known then creator_replies end as creator_replies,
        case when authors_known then {{ kol_safe_divide('creator_replies', 'follower_comments') }} end
            as reply_rate,
        case when authors_known then follower_comments_replied end as follower_comments_replied,
        case when authors_known then {{ kol_safe_divide('follower_comments_replied', 'follower_comments') }} end
            as replied_share,
        case when authors_known then median_reply_latency_seconds / 3600.0 end as median_reply_latency_hours,
        case when authors_known then direct_address_comments end as direct_address_comments,
        case when authors_known then {{ kol_safe_divide('direct_address_comments', 'follower_comments_with_text') }} end
            as direct_address_share

    from measured

)

select * from final
