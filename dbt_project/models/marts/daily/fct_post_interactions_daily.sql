{{ config(unique_key=['post_key', 'date_day']) }}

{#-
    One row per tracked post and day in [min_date, max_date]: the counters as of the end
    of the day, next to the author's followers that day. Lookback: the post itself was
    landed on its publication day, up to the tracking window before.
-#}
{%- set post_lookback = var('post_tracking_window_days') | int -%}

with

post_metrics as (

    select * from {{ ref('int_post_metrics_daily') }}
    where {{ kol_in_window('partition_date') }}

),

posts as (

    select post_key, published_at, published_date
    from {{ ref('int_posts') }}
    where {{ kol_in_window('partition_date', post_lookback) }}

),

account_snapshots as (

    select account_key, snapshot_date, followers
    from {{ ref('int_account_snapshots') }}
    where {{ kol_in_window('partition_date') }}

),

final as (

    select
        post_metrics.post_key,
        post_metrics.account_key,
        post_metrics.platform,
        post_metrics.region,
        post_metrics.post_id,
        post_metrics.account_id,
        post_metrics.snapshot_date as date_day,
        posts.published_at,
        {{ kol_days_between('posts.published_date', 'post_metrics.snapshot_date') }} as days_since_published,
        post_metrics.likes,
        post_metrics.comments,
        post_metrics.shares,
        post_metrics.engagement,
        account_snapshots.followers,
        {{ kol_safe_divide('post_metrics.engagement', 'account_snapshots.followers') }} as engagement_rate

    from post_metrics
    left join posts
        on posts.post_key = post_metrics.post_key
    left join account_snapshots
        on account_snapshots.account_key = post_metrics.account_key
        and account_snapshots.snapshot_date = post_metrics.snapshot_date

)

select * from final
