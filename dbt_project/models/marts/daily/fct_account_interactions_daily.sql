{{ config(unique_key=['account_key', 'date_day']) }}

{#-
    One row per account and snapshot day in [min_date, max_date]: posting, the counters of
    the tracked posts, the engagement-rate variants side by side, and the conversation
    with followers, that day and over trailing windows (reciprocity, commenters).
    Lookback: the engagement-rate windows rate the posts published in their trailing days,
    each with its latest counters as of the day, so posts and their counters are read back
    the longest of those windows (and at least the tracking window, for the day's tracked
    posts); follower comments are read back the longest comment window (a creator reply is
    never older than the comment it answers, so the same bound covers replies). Comments
    and replies count as of the end of a day once they are landed (partition_date).
    The comment windows are linear in the comments (kol_trailing_follower_comment_ctes:
    running sums of the changes a comment brings on the day it is known and takes back the
    day after its window; commenters through the days their comments counting cross 1 or
    var repeat_commenter_min_comments; only the replied comments are joined to the days they
    count for, for the median latency). The posts of the rate windows are still joined to
    each account day (trailing_posts): posts are few next to comments, and a median of likes
    is no running sum.
-#}
{%- set reply_lookback = kol_days_var('credibility_window_days') - 1 -%}
{%- set commenter_lookback = kol_days_var('commenter_window_days') - 1 -%}
{%- set comment_lookback = [reply_lookback, commenter_lookback] | max -%}
{%- set mean_lookback = kol_days_var('engagement_rate_mean_window_days') - 1 -%}
{%- set median_lookback = kol_days_var('engagement_rate_median_window_days') - 1 -%}
{%- set rate_lookback = [mean_lookback, median_lookback] | max -%}
{%- set post_lookback = [var('post_tracking_window_days') | int, rate_lookback] | max -%}
{%- set latest_posts = var('engagement_latest_posts') | int -%}
{%- set video_platforms = var('engagement_video_platforms') -%}
{%- if video_platforms is string -%}
    {%- set video_platforms = [video_platforms] -%}
{%- endif -%}

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

post_metrics_history as (

    select post_key, account_key, snapshot_date, likes, comments, shares, views, saves, engagement
    from {{ ref('int_post_metrics_daily') }}
    where {{ kol_in_window('partition_date', rate_lookback) }}

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
    where {{ kol_in_window('partition_date', comment_lookback) }}

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

post_metrics as (

    select * from post_metrics_history
    where {{ kol_in_window('snapshot_date') }}

),

-- sums skip unknown counters; a sum of nothing but unknowns stays unknown
tracked_posts as (

    select
        account_key,
        snapshot_date as date_day,
        count(*) as tracked_posts,
        cast(sum(likes) as {{ dbt.type_bigint() }}) as tracked_likes,
        cast(sum(comments) as {{ dbt.type_bigint() }}) as tracked_comments,
        cast(sum(shares) as {{ dbt.type_bigint() }}) as tracked_shares,
        cast(sum(engagement) as {{ dbt.type_bigint() }}) as tracked_engagement,
        cast(sum(views) as {{ dbt.type_bigint() }}) as tracked_views,
        cast(sum(saves) as {{ dbt.type_bigint() }}) as tracked_saves

    from post_metrics
    group by account_key, snapshot_date

),

-- HypeAuditor: mean over the latest N tracked posts of (likes + comments) / followers;
-- every post of the day shares the day's followers, so the mean is
-- sum(engagement) / (posts with a known engagement * followers), on exact integer sums
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
        count(engagement) as latest_posts_rated,
        cast(sum(engagement) as {{ dbt.type_bigint() }}) as latest_posts_engagement

    from ranked_tracked_posts
    where recency_rank <= {{ latest_posts }}
    group by account_key, snapshot_date

),

-- each post's counters as of a day: its latest reading on or before it, valid until the
-- next reading (a post past the tracking window keeps its last one)
post_readings as (

    select
        post_metrics_history.*,
        lead(snapshot_date) over (
            partition by post_key order by snapshot_date
        ) as next_snapshot_date

    from post_metrics_history

),

-- the posts published in the longest rate window before each account day, with their
-- counters as of that day
trailing_posts as (

    select
        account_days.account_key,
        account_days.date_day,
        {{ kol_days_between('posts.published_date', 'account_days.date_day') }} as post_age_days,
        post_readings.likes,
        post_readings.comments,
        post_readings.views,
        post_readings.engagement

    from account_days
    inner join posts
        on posts.account_key = account_days.account_key
        and {{ kol_in_trailing_window('posts.published_date', 'account_days.date_day', rate_lookback) }}
    inner join post_readings
        on post_readings.post_key = posts.post_key
        and post_readings.snapshot_date <= account_days.date_day
        and (post_readings.next_snapshot_date is null or post_readings.next_snapshot_date > account_days.date_day)

),

-- Upfluence: (average likes + average comments) / followers over the posts of the last
-- {{ mean_lookback + 1 }} days, on the posts where both are known: = sum(engagement) / posts
-- Modash: median likes / followers, and on video platforms average likes / average views
-- (= sum(likes) / sum(views) over the posts where both are known), last {{ median_lookback + 1 }} days
trailing_rates as (

    select
        trailing_posts.account_key,
        trailing_posts.date_day,
        count(case when trailing_posts.post_age_days <= {{ mean_lookback }} then trailing_posts.engagement end)
            as rated_posts_mean_trailing,
        sum(case when trailing_posts.post_age_days <= {{ mean_lookback }} then trailing_posts.engagement end)
            as engagement_sum_mean_trailing,
        sum(case
            when trailing_posts.post_age_days <= {{ mean_lookback }} and trailing_posts.engagement is not null
                then trailing_posts.comments
        end) as comments_sum_mean_trailing,
        count(case when trailing_posts.post_age_days <= {{ median_lookback }} then trailing_posts.likes end)
            as rated_posts_median_likes_trailing,
        {{ kol_median('case when trailing_posts.post_age_days <= ' ~ median_lookback ~ ' then trailing_posts.likes end') }}
            as median_likes_trailing,
        count(case
            when trailing_posts.post_age_days <= {{ median_lookback }} and trailing_posts.views is not null
                then trailing_posts.likes
        end) as rated_posts_likes_per_view_trailing,
        sum(case
            when trailing_posts.post_age_days <= {{ median_lookback }} and trailing_posts.views is not null
                then trailing_posts.likes
        end) as likes_sum_likes_per_view_trailing,
        sum(case
            when trailing_posts.post_age_days <= {{ median_lookback }} and trailing_posts.likes is not null
                then trailing_posts.views
        end) as views_sum_likes_per_view_trailing

    from trailing_posts
    group by trailing_posts.account_key, trailing_posts.date_day

),

-- conversation --------------------------------------------------------------------------

daily_follower_comments as (

    select
        account_key,
        commented_date as date_day,
        count(*) as follower_comments,
        count(distinct commenter_id) as unique_commenters

    from comment_events
    where is_follower_comment
        and {{ kol_in_window('commented_date') }}
        -- known by the end of the day: landed that day
        and partition_date = commented_date
    group by account_key, commented_date

),

daily_creator_replies as (

    select
        account_key,
        commented_date as date_day,
        count(*) as creator_replies

    from comment_events
    where is_creator_reply
        and {{ kol_in_window('commented_date') }}
        and partition_date = commented_date
    group by account_key, commented_date

),

-- as of the end of each day (linear in the comments: running sums of the changes a
-- comment brings on the day it is known and takes back when it leaves its window; see the
-- macro): trailing_conversation, the follower comments of the trailing credibility window
-- and those the creator had replied to by then (a later reply does not change a past
-- day); trailing_commenters, the commenters of the trailing commenter window; and
-- trailing_unknown_authors, over the longest comment window ({{ comment_lookback + 1 }} days)
{{ kol_trailing_follower_comment_ctes('account_days', 'comment_events', reply_lookback,
    commenter_lookback=commenter_lookback, unknown_lookback=comment_lookback) }},

trailing_reciprocity as (

    select
        account_key,
        date_day,
        follower_comments as follower_comments_trailing,
        follower_comments_replied as follower_comments_replied_trailing,
        median_reply_latency_seconds as median_reply_latency_seconds_trailing

    from trailing_conversation

),

-- commenters are unknown where the platform hides comment authors (TikTok: all of its
-- comments, so the longest comment window tells as well as the commenter window)
commenter_unknown as (

    select
        account_key,
        date_day

    from trailing_unknown_authors
    where unknown_author_comments > 0

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
        -- 0 without tracked posts; null when the platform publishes no such counter
        case when tracked_posts.account_key is null then 0 else tracked_posts.tracked_likes end as tracked_likes,
        case when tracked_posts.account_key is null then 0 else tracked_posts.tracked_comments end
            as tracked_comments,
        tracked_posts.tracked_shares,
        case when tracked_posts.account_key is null then 0 else tracked_posts.tracked_engagement end
            as tracked_engagement,
        coalesce(latest_posts.latest_posts_count, 0) as latest_posts_count,
        case when latest_posts.account_key is null then 0 else latest_posts.latest_posts_engagement end
            as latest_posts_engagement,
        {{ kol_safe_divide('latest_posts.latest_posts_engagement', 'latest_posts.latest_posts_rated * account_days.followers') }}
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
            as median_reply_latency_hours_trailing,
        tracked_posts.tracked_views,
        tracked_posts.tracked_saves,
        coalesce(trailing_rates.rated_posts_mean_trailing, 0) as rated_posts_mean_trailing,
        {{ kol_safe_divide('trailing_rates.engagement_sum_mean_trailing', 'trailing_rates.rated_posts_mean_trailing * account_days.followers') }}
            as engagement_rate_mean_trailing,
        coalesce(trailing_rates.rated_posts_median_likes_trailing, 0) as rated_posts_median_likes_trailing,
        {{ kol_safe_divide('trailing_rates.median_likes_trailing', 'account_days.followers') }}
            as engagement_rate_median_likes_trailing,
        case
            when account_days.platform in ({% for platform in video_platforms %}'{{ platform }}'{{ ', ' if not loop.last }}{% endfor %})
                then coalesce(trailing_rates.rated_posts_likes_per_view_trailing, 0)
        end as rated_posts_likes_per_view_trailing,
        case
            when account_days.platform in ({% for platform in video_platforms %}'{{ platform }}'{{ ', ' if not loop.last }}{% endfor %})
                then {{ kol_safe_divide('trailing_rates.likes_sum_likes_per_view_trailing', 'trailing_rates.views_sum_likes_per_view_trailing') }}
        end as engagement_rate_likes_per_view_trailing,
        {{ kol_safe_divide('trailing_rates.comments_sum_mean_trailing', 'trailing_rates.engagement_sum_mean_trailing') }}
            as comment_share_of_engagement_trailing,
        case
            when commenter_unknown.account_key is null
                then coalesce(trailing_commenters.unique_commenters_trailing, 0)
        end as unique_commenters_trailing,
        case
            when commenter_unknown.account_key is null
                then coalesce(trailing_commenters.repeat_commenters_trailing, 0)
        end as repeat_commenters_trailing,
        case
            when commenter_unknown.account_key is null
                then {{ kol_safe_divide('trailing_commenters.repeat_commenters_trailing', 'trailing_commenters.unique_commenters_trailing') }}
        end as repeat_commenter_share_trailing

    from account_days
    {{- kol_left_join_daily('account_days', [
        'posts_published',
        'tracked_posts',
        'latest_posts',
        'trailing_rates',
        'daily_follower_comments',
        'daily_creator_replies',
        'trailing_reciprocity',
        'trailing_commenters',
        'commenter_unknown',
    ]) }}

)

select * from final
