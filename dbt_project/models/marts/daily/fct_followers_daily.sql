{{ config(unique_key=['account_key', 'date_day']) }}

{#-
    One row per account and snapshot day in [min_date, max_date].
    Lookback: suspicious_growth_days_trailing counts flags over the trailing window, each
    flag compares a day with its previous snapshot (at most 7 days back) and with the
    engagement gained over the engagement_baseline_days before it, which needs the post
    counters one day earlier still.
    Lookahead: a jump on day D is also backed by the engagement gained on the
    engagement_backing_days_after days after it (a viral post published late on D gains
    most of its engagement on D+1), so snapshots, counters and posts are read up to
    max_date + engagement_backing_days_after, as far as they are landed. Only the window's
    days are written, so rebuilding a window stays idempotent; the verdict of a day whose
    next days are not landed yet is provisional until that day is rebuilt.
    Growth over N days (var follower_growth_windows_days) compares with the snapshot exactly
    N days before, so snapshots are read back the longest window. The peer comparison ranks
    each account among the accounts of its platform and tier on the same day, which are all
    rows of this window: it needs no history of its own.
-#}
{%- set trailing_days = var('credibility_window_days') | int -%}
{%- set baseline_days = var('engagement_baseline_days') | int -%}
{%- set backing_days_after = var('engagement_backing_days_after') | int -%}
{%- if backing_days_after < 0 -%}
    {{ exceptions.raise_compiler_error("var engagement_backing_days_after must be >= 0, got " ~ backing_days_after) }}
{%- endif -%}
{%- set max_snapshot_gap_days = 7 -%}
{%- set growth_windows = kol_follower_growth_windows() -%}
{%- set peer_window = kol_days_var('follower_growth_peer_window_days') -%}
{%- if peer_window not in growth_windows -%}
    {{ exceptions.raise_compiler_error("var follower_growth_peer_window_days (" ~ peer_window ~ ") must be one of follower_growth_windows_days " ~ growth_windows) }}
{%- endif -%}
{%- set flag_lookback = trailing_days - 1 -%}
{%- set snapshot_lookback = [flag_lookback + max_snapshot_gap_days, growth_windows | max] | max -%}
{%- set gain_lookback = flag_lookback + baseline_days -%}
{%- set metric_lookback = gain_lookback + 1 -%}
{%- set previous_snapshot_columns = ['snapshot_date', 'followers', 'following'] -%}
{%- set views_backed_platforms = var('growth_backing_views_platforms') -%}
{%- if views_backed_platforms is string -%}
    {%- set views_backed_platforms = [views_backed_platforms] -%}
{%- endif -%}

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
    where {{ kol_in_window('partition_date', snapshot_lookback, backing_days_after) }}

),

-- the audience's response that backs a follower jump: likes + comments, or views on the
-- platforms that publish neither (WeChat: reads), where a viral article shows
post_metrics_all as (

    select
        account_key,
        post_key,
        snapshot_date,
        {%- if views_backed_platforms | length > 0 %}
        case
            when platform in ({% for platform in views_backed_platforms %}'{{ platform }}'{{ ', ' if not loop.last }}{% endfor %})
                then views
            else engagement
        end as engagement
        {%- else %}
        engagement
        {%- endif %}

    from {{ ref('int_post_metrics_daily') }}
    where {{ kol_in_window('partition_date', metric_lookback, backing_days_after) }}

),

-- a reading with an unknown counter gains nothing known; skipping it lets the next known
-- reading compare with the previous known one
post_metrics as (

    select * from post_metrics_all
    where engagement is not null

),

-- posts are landed on their publication day, so the days of counters read hold every
-- post whose first reading can be its publication day
published_posts as (

    select
        post_key,
        min(published_date) as published_date

    from {{ ref('int_posts') }}
    where {{ kol_in_window('partition_date', metric_lookback, backing_days_after) }}
    group by post_key

),

post_readings as (

    select
        post_metrics.*,
        lag(post_metrics.engagement) over (
            partition by post_metrics.post_key order by post_metrics.snapshot_date
        ) as previous_engagement

    from post_metrics

),

-- engagement (likes + comments) each post gained on a day: today's counters minus the
-- previous reading's. A post's first reading counts in full only on its publication day;
-- a post first read later (the lake's first days, a gap) gained before it was read, so
-- its first reading counts 0 rather than inflating that day
post_engagement_gained as (

    select
        post_readings.account_key,
        post_readings.snapshot_date,
        case
            when post_readings.previous_engagement is not null
                then post_readings.engagement - post_readings.previous_engagement
            when published_posts.published_date = post_readings.snapshot_date
                then post_readings.engagement
            else 0
        end as engagement_gained

    from post_readings
    left join published_posts
        on published_posts.post_key = post_readings.post_key

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
    where {{ kol_in_window('snapshot_date', flag_lookback) }}

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
{%- if backing_days_after > 0 %}

-- the largest daily engagement gain of the {{ backing_days_after }} day(s) after each day, over
-- the days the account has a snapshot (is landed); no row while none of them is landed
engagement_after as (

    select
        daily_changes.account_key,
        daily_changes.snapshot_date,
        cast(max(coalesce(account_engagement_gained.engagement_gained, 0)) as {{ dbt.type_bigint() }})
            as engagement_gained_after

    from daily_changes
    inner join account_snapshots as later_snapshots
        on later_snapshots.account_key = daily_changes.account_key
        and later_snapshots.snapshot_date between {{ kol_add_days('daily_changes.snapshot_date', 1) }}
            and {{ kol_add_days('daily_changes.snapshot_date', backing_days_after) }}
    left join account_engagement_gained
        on account_engagement_gained.account_key = later_snapshots.account_key
        and account_engagement_gained.snapshot_date = later_snapshots.snapshot_date

    group by daily_changes.account_key, daily_changes.snapshot_date

),
{%- endif %}

growth_signals as (

    select
        daily_changes.*,
        daily_changes.followers - daily_changes.previous_followers as net_follower_change,
        daily_changes.following - daily_changes.previous_following as net_following_change,
        {{ kol_safe_divide('daily_changes.following - daily_changes.previous_following', 'daily_changes.previous_following') }}
            as daily_following_growth,
        {{ kol_safe_divide('daily_changes.followers - daily_changes.previous_followers', 'daily_changes.previous_followers') }}
            as daily_follower_growth,
        coalesce(account_engagement_gained.engagement_gained, 0) as engagement_gained,
        -- average per calendar day: a day without tracked posts gained nothing
        {{ kol_safe_divide('coalesce(engagement_baseline.baseline_engagement_gained_total, 0)', baseline_days) }}
            as engagement_gained_baseline,
        {% if backing_days_after > 0 -%}
        engagement_after.engagement_gained_after
        {%- else -%}
        cast(null as {{ dbt.type_bigint() }}) as engagement_gained_after
        {%- endif %}

    from daily_changes
    {{- kol_left_join_daily('daily_changes', [
        'account_engagement_gained',
        'engagement_baseline',
    ] + (['engagement_after'] if backing_days_after > 0 else []), day_column='snapshot_date') }}

),

growth_flags as (

    select
        growth_signals.*,
        -- the day itself or one of the days after it gains enough engagement
        (
            engagement_gained > 0
            and engagement_gained >= {{ var('engagement_backing_multiple') }} * engagement_gained_baseline
        ) or coalesce(
            engagement_gained_after > 0
            and engagement_gained_after >= {{ var('engagement_backing_multiple') }} * engagement_gained_baseline,
            false
        ) as is_engagement_backed,
        coalesce(
            net_follower_change >= {{ var('suspicious_growth_min_gain') }}
            and daily_follower_growth > {{ var('suspicious_growth_daily_threshold') }}
            -- one step of a rounded display (Xiaohongshu's 1.2万 -> 1.3万) is not a jump
            and net_follower_change > {{ kol_follower_count_step('platform', 'previous_followers') }},
            false
        ) as is_follower_jump,
        -- mass following to be followed back: thousands of followings added at once
        coalesce(
            net_following_change >= {{ var('following_spike_min_gain') }}
            and daily_following_growth > {{ var('following_spike_daily_threshold') }},
            false
        ) as is_following_spike

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

trailing_flags as (

    select
        window_days.account_key,
        window_days.snapshot_date,
        count(case when earlier.is_suspicious_growth then 1 end) as suspicious_growth_days_trailing,
        count(case when earlier.is_following_spike then 1 end) as following_spike_days_trailing

    from window_days
    inner join flagged as earlier
        on earlier.account_key = window_days.account_key
        and (earlier.is_suspicious_growth or earlier.is_following_spike)
        and {{ kol_in_trailing_window('earlier.snapshot_date', 'window_days.snapshot_date', flag_lookback) }}

    group by window_days.account_key, window_days.snapshot_date

),

earlier_followers as (

    select account_key, snapshot_date, followers
    from account_snapshots

),

-- growth since the snapshot exactly N days before, for each window N
growth as (

    select
        window_days.account_key,
        window_days.snapshot_date,
        {{ kol_tier('window_days.followers') }} as tier,
        {%- for days in growth_windows %}
        followers_{{ days }}d_ago.followers as followers_{{ days }}d_ago,
        {{ kol_safe_divide('window_days.followers - followers_' ~ days ~ 'd_ago.followers', 'followers_' ~ days ~ 'd_ago.followers') }}
            as follower_growth_{{ days }}d{{ ',' if not loop.last }}
        {%- endfor %}

    from window_days
    {%- for days in growth_windows %}
    left join earlier_followers as followers_{{ days }}d_ago
        on followers_{{ days }}d_ago.account_key = window_days.account_key
        and followers_{{ days }}d_ago.snapshot_date = {{ kol_add_days('window_days.snapshot_date', -days) }}
    {%- endfor %}

),

-- peers: the accounts of the same platform and follower tier on the same day (every one
-- of them is a row of this window) that have a {{ peer_window }}-day growth
peer_candidates as (

    select
        growth.account_key,
        growth.snapshot_date,
        window_days.platform,
        growth.tier,
        growth.follower_growth_{{ peer_window }}d as peer_growth

    from growth
    inner join window_days
        on window_days.account_key = growth.account_key
        and window_days.snapshot_date = growth.snapshot_date
    where growth.follower_growth_{{ peer_window }}d is not null

),

peer_groups as (

    select
        platform,
        tier,
        snapshot_date,
        count(*) as peer_accounts,
        {{ kol_median('peer_growth') }} as peer_median_follower_growth

    from peer_candidates
    group by platform, tier, snapshot_date

),

peer_ranks as (

    select
        peer_candidates.account_key,
        peer_candidates.snapshot_date,
        peer_groups.peer_accounts,
        peer_groups.peer_median_follower_growth,
        peer_candidates.peer_growth - peer_groups.peer_median_follower_growth as follower_growth_vs_peers,
        -- 0 for the slowest of the group, 1 for the fastest
        percent_rank() over (
            partition by peer_candidates.platform, peer_candidates.tier, peer_candidates.snapshot_date
            order by peer_candidates.peer_growth
        ) as follower_growth_peer_percentile

    from peer_candidates
    inner join peer_groups
        on peer_groups.platform = peer_candidates.platform
        and peer_groups.tier = peer_candidates.tier
        and peer_groups.snapshot_date = peer_candidates.snapshot_date

),

peer_comparison as (

    select * from peer_ranks
    where peer_accounts >= {{ var('follower_growth_peer_min_accounts') }}

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
        window_days.engagement_gained,
        window_days.engagement_gained_baseline,
        window_days.engagement_gained_after,
        window_days.is_follower_jump,
        window_days.is_engagement_backed,
        window_days.is_suspicious_growth,
        coalesce(trailing_flags.suspicious_growth_days_trailing, 0)
            as suspicious_growth_days_trailing,
        {%- for days in growth_windows %}
        growth.followers_{{ days }}d_ago,
        growth.follower_growth_{{ days }}d,
        {%- endfor %}
        window_days.daily_following_growth,
        window_days.is_following_spike,
        coalesce(trailing_flags.following_spike_days_trailing, 0) as following_spike_days_trailing,
        growth.tier,
        {{ peer_window }} as peer_growth_window_days,
        peer_comparison.peer_accounts,
        peer_comparison.peer_median_follower_growth,
        peer_comparison.follower_growth_vs_peers,
        peer_comparison.follower_growth_peer_percentile

    from window_days
    {{- kol_left_join_daily('window_days', ['trailing_flags', 'growth', 'peer_comparison'], day_column='snapshot_date') }}

)

select * from final
