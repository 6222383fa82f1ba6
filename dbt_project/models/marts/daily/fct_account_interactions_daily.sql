{{ config(unique_key=['account_key', 'date_day']) }}

{#-
    One row per account and snapshot day in [min_date, max_date]: posting, the counters of
    the tracked posts, the HypeAuditor engagement rate, and the conversation with
    followers, that day and over the trailing window (reciprocity).
    Lookback: tracked posts reach back the tracking window; the trailing reply rate reads
    follower comments credibility_window_days - 1 days back (a creator reply is never
    older than the comment it answers, so the same bound covers replies).
-#}
{%- set trailing_lookback = (var('credibility_window_days') | int) - 1 -%}
{%- set post_lookback = var('post_tracking_window_days') | int -%}
{%- set latest_posts = var('engagement_latest_posts') | int -%}

with

account_days as (

    select
        account_key,
        platform,
        region,
        account_id,
        snapshot_date as date_day,
        followers

    from {{ ref('int_account_snapshots') }}
    where {{ kol_in_window('partition_date') }}

),

posts as (

    select post_key, account_key, published_at, published_date
    from {{ ref('int_posts') }}
    where {{ kol_in_window('partition_date', post_lookback) }}

),

post_metrics as (

    select post_key, account_key, snapshot_date, likes, comments, shares, engagement
    from {{ ref('int_post_metrics_daily') }}
    where {{ kol_in_window('partition_date') }}

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
        is_follower_comment

    from {{ ref('int_comment_events') }}
    where {{ kol_in_window('partition_date', trailing_lookback) }}

),

-- posting -------------------------------------------------------------------------------

posts_published as (

    select
        account_key,
        published_date as date_day,
        count(*) as posts_published

    from posts
    where {{ kol_in_window('published_date') }}
    group by account_key, published_date

),

tracked_posts as (

    select
        account_key,
        snapshot_date as date_day,
        count(*) as tracked_posts,
        cast(sum(likes) as {{ dbt.type_bigint() }}) as tracked_likes,
        cast(sum(comments) as {{ dbt.type_bigint() }}) as tracked_comments,
        cast(sum(shares) as {{ dbt.type_bigint() }}) as tracked_shares,
        cast(sum(engagement) as {{ dbt.type_bigint() }}) as tracked_engagement

    from post_metrics
    group by account_key, snapshot_date

),

-- HypeAuditor: mean over the latest N tracked posts of (likes + comments) / followers;
-- every post of the day shares the day's followers, so the mean is
-- sum(engagement) / (N * followers), computed on exact integer sums
ranked_tracked_posts as (

    select
        post_metrics.account_key,
        post_metrics.snapshot_date,
        post_metrics.engagement,
        row_number() over (
            partition by post_metrics.account_key, post_metrics.snapshot_date
            order by posts.published_at desc nulls last, post_metrics.post_key desc
        ) as recency_rank

    from post_metrics
    left join posts
        on posts.post_key = post_metrics.post_key

),

latest_posts as (

    select
        account_key,
        snapshot_date as date_day,
        count(*) as latest_posts_count,
        cast(sum(engagement) as {{ dbt.type_bigint() }}) as latest_posts_engagement

    from ranked_tracked_posts
    where recency_rank <= {{ latest_posts }}
    group by account_key, snapshot_date

),

-- conversation --------------------------------------------------------------------------

-- follower_comments, creator_replies and first_creator_replies, on the window's events
{{ kol_creator_reply_ctes('comment_events') }},

follower_comments_replied as (

    select
        follower_comments.account_key,
        follower_comments.comment_key,
        follower_comments.commenter_id,
        follower_comments.commented_date,
        first_creator_replies.first_creator_reply_at,
        {{ kol_utc_date('first_creator_replies.first_creator_reply_at') }} as first_creator_reply_date,
        {{ kol_seconds_between('follower_comments.commented_at', 'first_creator_replies.first_creator_reply_at') }}
            as reply_latency_seconds

    from follower_comments
    left join first_creator_replies
        on first_creator_replies.comment_key = follower_comments.comment_key

),

daily_follower_comments as (

    select
        account_key,
        commented_date as date_day,
        count(*) as follower_comments,
        count(distinct commenter_id) as unique_commenters

    from follower_comments
    where {{ kol_in_window('commented_date') }}
    group by account_key, commented_date

),

daily_creator_replies as (

    select
        account_key,
        commented_date as date_day,
        count(*) as creator_replies

    from creator_replies
    where {{ kol_in_window('commented_date') }}
    group by account_key, commented_date

),

-- as of the end of each day: follower comments of the trailing window, and those the
-- creator had replied to by then (a later reply does not change a past day)
trailing_reciprocity as (

    select
        account_days.account_key,
        account_days.date_day,
        count(*) as follower_comments_trailing,
        count(
            case when follower_comments_replied.first_creator_reply_date <= account_days.date_day then 1 end
        ) as follower_comments_replied_trailing,
        {{ kol_median(
            'case when follower_comments_replied.first_creator_reply_date <= account_days.date_day'
            ~ ' then follower_comments_replied.reply_latency_seconds end'
        ) }} as median_reply_latency_seconds_trailing

    from account_days
    inner join follower_comments_replied
        on follower_comments_replied.account_key = account_days.account_key
        and {{ kol_in_trailing_window(
            'follower_comments_replied.commented_date', 'account_days.date_day', trailing_lookback
        ) }}

    group by account_days.account_key, account_days.date_day

),

final as (

    select
        account_days.account_key,
        account_days.platform,
        account_days.region,
        account_days.account_id,
        account_days.date_day,
        account_days.followers,
        coalesce(posts_published.posts_published, 0) as posts_published,
        coalesce(tracked_posts.tracked_posts, 0) as tracked_posts,
        coalesce(tracked_posts.tracked_likes, 0) as tracked_likes,
        coalesce(tracked_posts.tracked_comments, 0) as tracked_comments,
        tracked_posts.tracked_shares,
        coalesce(tracked_posts.tracked_engagement, 0) as tracked_engagement,
        coalesce(latest_posts.latest_posts_count, 0) as latest_posts_count,
        coalesce(latest_posts.latest_posts_engagement, 0) as latest_posts_engagement,
        {{ kol_safe_divide('latest_posts.latest_posts_engagement', 'latest_posts.latest_posts_count * account_days.followers') }}
            as engagement_rate_latest_posts,
        coalesce(daily_follower_comments.follower_comments, 0) as follower_comments,
        coalesce(daily_creator_replies.creator_replies, 0) as creator_replies,
        coalesce(daily_follower_comments.unique_commenters, 0) as unique_commenters,
        coalesce(trailing_reciprocity.follower_comments_trailing, 0) as follower_comments_trailing,
        coalesce(trailing_reciprocity.follower_comments_replied_trailing, 0)
            as follower_comments_replied_trailing,
        {{ kol_safe_divide('trailing_reciprocity.follower_comments_replied_trailing', 'trailing_reciprocity.follower_comments_trailing') }}
            as reply_rate_trailing,
        trailing_reciprocity.median_reply_latency_seconds_trailing / 3600.0
            as median_reply_latency_hours_trailing

    from account_days
    {{- kol_left_join_daily('account_days', [
        'posts_published',
        'tracked_posts',
        'latest_posts',
        'daily_follower_comments',
        'daily_creator_replies',
        'trailing_reciprocity',
    ]) }}

)

select * from final
