{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['account_key', 'date_day'],
        on_schema_change='append_new_columns',
        pre_hook="{{ kol_delete_window('date_day') }}",
    )
}}

{#-
    One row per account and snapshot day in [min_date, max_date].
    Lookback: suspicious_growth_days_trailing counts flags over the trailing window, each
    flag compares a day with its previous snapshot (at most 7 days back) and with the
    engagement gained over the engagement_baseline_days before it, which needs the post
    counters one day earlier still.
-#}
{%- set trailing_days = var('credibility_window_days') | int -%}
{%- set baseline_days = var('engagement_baseline_days') | int -%}
{%- set max_snapshot_gap_days = 7 -%}
{%- set flag_lookback = trailing_days - 1 -%}
{%- set snapshot_lookback = [flag_lookback + max_snapshot_gap_days, 7] | max -%}
{%- set gain_lookback = flag_lookback + baseline_days -%}
{%- set metric_lookback = gain_lookback + 1 -%}
{%- set previous_snapshot_columns = ['snapshot_date', 'followers', 'following'] -%}

with

account_snapshots as (

    select
        account_key,
        platform,
        region,
        account_id,
        snapshot_date,
        followers,
        following,
        posts_count

    from {{ ref('int_account_snapshots') }}
    where {{ kol_in_window('partition_date', snapshot_lookback) }}

),

post_metrics as (

    select
        account_key,
        post_key,
        snapshot_date,
        engagement

    from {{ ref('int_post_metrics_daily') }}
    where {{ kol_in_window('partition_date', metric_lookback) }}

),

-- engagement (likes + comments) each post gained on a day: today's counters minus the
-- previous reading's (a post's first reading counts in full)
post_engagement_gained as (

    select
        account_key,
        snapshot_date,
        engagement - coalesce(
            lag(engagement) over (partition by post_key order by snapshot_date), 0
        ) as engagement_gained

    from post_metrics

),

account_engagement_gained as (

    select
        account_key,
        snapshot_date,
        cast(sum(engagement_gained) as {{ dbt.type_bigint() }}) as engagement_gained

    from post_engagement_gained
    where snapshot_date >= {{ kol_window_start(gain_lookback) }}
    group by account_key, snapshot_date

),

snapshot_changes as (

    select
        account_snapshots.*,
        {%- for column in previous_snapshot_columns %}
        lag({{ column }}) over (
            partition by account_key order by snapshot_date
        ) as lag_{{ column }}{{ ',' if not loop.last }}
        {%- endfor %}

    from account_snapshots

),

-- the previous snapshot counts only within {{ max_snapshot_gap_days }} days, so that a
-- windowed build and a full build agree
daily_changes as (

    select
        account_key,
        platform,
        region,
        account_id,
        snapshot_date,
        followers,
        following,
        posts_count,
        {%- for column in previous_snapshot_columns %}
        case
            when {{ kol_days_between('lag_snapshot_date', 'snapshot_date') }} <= {{ max_snapshot_gap_days }}
                then lag_{{ column }}
        end as previous_{{ column }}{{ ',' if not loop.last }}
        {%- endfor %}

    from snapshot_changes
    where snapshot_date >= {{ kol_window_start(flag_lookback) }}

),

engagement_baseline as (

    select
        daily_changes.account_key,
        daily_changes.snapshot_date,
        cast(sum(account_engagement_gained.engagement_gained) as {{ dbt.type_bigint() }})
            as baseline_engagement_gained_total

    from daily_changes
    inner join account_engagement_gained
        on account_engagement_gained.account_key = daily_changes.account_key
        -- the baseline_days before the day, not the day itself
        and {{ kol_in_trailing_window(
            'account_engagement_gained.snapshot_date', 'daily_changes.snapshot_date', baseline_days,
            through_days_back=1
        ) }}

    group by daily_changes.account_key, daily_changes.snapshot_date

),

growth_signals as (

    select
        daily_changes.*,
        daily_changes.followers - daily_changes.previous_followers as net_follower_change,
        daily_changes.following - daily_changes.previous_following as net_following_change,
        {{ kol_safe_divide('daily_changes.followers - daily_changes.previous_followers', 'daily_changes.previous_followers') }}
            as daily_follower_growth,
        coalesce(account_engagement_gained.engagement_gained, 0) as engagement_gained,
        -- average per calendar day: a day without tracked posts gained nothing
        {{ kol_safe_divide('coalesce(engagement_baseline.baseline_engagement_gained_total, 0)', baseline_days) }}
            as engagement_gained_baseline

    from daily_changes
    {{- kol_left_join_daily('daily_changes', [
        'account_engagement_gained',
        'engagement_baseline',
    ], day_column='snapshot_date') }}

),

growth_flags as (

    select
        growth_signals.*,
        engagement_gained > 0
            and engagement_gained >= {{ var('engagement_backing_multiple') }} * engagement_gained_baseline
            as is_engagement_backed,
        coalesce(
            net_follower_change >= {{ var('suspicious_growth_min_gain') }}
            and daily_follower_growth > {{ var('suspicious_growth_daily_threshold') }},
            false
        ) as is_follower_jump

    from growth_signals

),

flagged as (

    select
        growth_flags.*,
        is_follower_jump and not is_engagement_backed as is_suspicious_growth

    from growth_flags

),

window_days as (

    select * from flagged
    where {{ kol_in_window('snapshot_date') }}

),

trailing_suspicious as (

    select
        window_days.account_key,
        window_days.snapshot_date,
        count(*) as suspicious_growth_days_trailing

    from window_days
    inner join flagged as earlier
        on earlier.account_key = window_days.account_key
        and earlier.is_suspicious_growth
        and {{ kol_in_trailing_window('earlier.snapshot_date', 'window_days.snapshot_date', flag_lookback) }}

    group by window_days.account_key, window_days.snapshot_date

),

week_ago as (

    select account_key, snapshot_date, followers
    from account_snapshots

),

final as (

    select
        window_days.account_key,
        window_days.platform,
        window_days.region,
        window_days.account_id,
        window_days.snapshot_date as date_day,
        window_days.followers,
        window_days.following,
        window_days.posts_count,
        window_days.previous_snapshot_date,
        window_days.net_follower_change,
        window_days.daily_follower_growth,
        window_days.net_following_change,
        week_ago.followers as followers_7d_ago,
        {{ kol_safe_divide('window_days.followers - week_ago.followers', 'week_ago.followers') }}
            as follower_growth_7d,
        window_days.engagement_gained,
        window_days.engagement_gained_baseline,
        window_days.is_follower_jump,
        window_days.is_engagement_backed,
        window_days.is_suspicious_growth,
        coalesce(trailing_suspicious.suspicious_growth_days_trailing, 0)
            as suspicious_growth_days_trailing

    from window_days
    left join week_ago
        on week_ago.account_key = window_days.account_key
        and week_ago.snapshot_date = {{ kol_add_days('window_days.snapshot_date', -7) }}
    {{- kol_left_join_daily('window_days', ['trailing_suspicious'], day_column='snapshot_date') }}

)

select * from final
