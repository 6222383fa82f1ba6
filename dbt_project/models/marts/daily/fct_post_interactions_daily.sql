{{ config(unique_key=['post_key', 'date_day']) }}

{#-
    One row per tracked post and day in [min_date, max_date]: the counters as of the end
    of the day and what each gained since the post's previous reading, next to the author's
    followers that day. Lookback: the post itself was landed on its publication day, up to
    the tracking window before, and so were its earlier readings.
-#}
{%- set post_lookback = var('post_tracking_window_days') | int -%}
{%- set counters = ['likes', 'comments', 'shares', 'views', 'saves', 'engagement'] -%}
{%- set video_platforms = var('engagement_video_platforms') -%}
{%- if video_platforms is string -%}
    {%- set video_platforms = [video_platforms] -%}
{%- endif -%}

with

post_readings as (

    select * from {{ ref('int_post_metrics_daily') }}
    where {{ kol_in_window('partition_date', post_lookback) }}

),

readings_with_previous as (

    select
        post_readings.*,
        {%- for counter in counters %}
        lag({{ counter }}) over (partition by post_key order by snapshot_date) as previous_{{ counter }},
        {%- endfor %}
        lag(snapshot_date) over (partition by post_key order by snapshot_date) as previous_snapshot_date

    from post_readings

),

post_metrics as (

    select * from readings_with_previous
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
        {{ kol_safe_divide('post_metrics.engagement', 'account_snapshots.followers') }} as engagement_rate,
        post_metrics.views,
        post_metrics.saves,
        post_metrics.previous_snapshot_date,
        {%- for counter in counters %}
        -- gained since the previous reading; a first reading gained everything on the
        -- publication day, and an unknown amount when the post was first read later
        case
            when post_metrics.previous_snapshot_date is not null
                then post_metrics.{{ counter }} - post_metrics.previous_{{ counter }}
            when post_metrics.snapshot_date = posts.published_date then post_metrics.{{ counter }}
        end as {{ counter }}_gained,
        {%- endfor %}
        -- Modash rates likes per view on video platforms only: WeChat reads and X
        -- impressions are views of another kind
        case
            when post_metrics.platform in ({% for platform in video_platforms %}'{{ platform }}'{{ ', ' if not loop.last }}{% endfor %})
                then {{ kol_safe_divide('post_metrics.likes', 'post_metrics.views') }}
        end as likes_per_view,
        {{ kol_safe_divide('post_metrics.comments', 'post_metrics.engagement') }} as comment_share_of_engagement

    from post_metrics
    left join posts
        on posts.post_key = post_metrics.post_key
    left join account_snapshots
        on account_snapshots.account_key = post_metrics.account_key
        and account_snapshots.snapshot_date = post_metrics.snapshot_date

)

select * from final
