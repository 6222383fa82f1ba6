{{ config(unique_key=['account_key', 'date_day']) }}

{#-
    Audience quality per account and snapshot day in [min_date, max_date], over the follower
    profiles sampled in the trailing var audience_quality_window_days days (the day itself
    included). Each follower counts once per account day, as its latest sample in the
    window says (a daily sample draws the same follower again; counting every draw would
    weigh the followers by how often they were drawn). Profiles are judged by the same
    rules as fct_audience_profiles_daily (kol_audience_judgement_ctes), re-applied to the
    lookback's samples so that a window built alone equals the same days of a full build.
    Lookback: window_days - 1 days of samples before min_date.
    Linear in the samples: a sample of day s is in the windows of the days
    [s, s + window_days - 1] and its follower's latest sample in those before the
    follower's next sample; it adds its counts (and its exact decimal score) on day s and
    takes them back the day after, and a day's counts are running sums of those changes
    (kol_trailing_sums_ctes), rather than every account day joined to its window's samples.
-#}
{%- set window_days = var('audience_quality_window_days') | int -%}
{%- if window_days < 1 -%}
    {{ exceptions.raise_compiler_error("var audience_quality_window_days must be at least 1") }}
{%- endif -%}
{%- set lookback = window_days - 1 -%}
{%- set signals = kol_audience_signal_weights().keys() | list -%}
{#- audience type -> its columns' prefix ('real' alone would clash with real_share) -#}
{%- set audience_types = {'real': 'real_people', 'suspicious': 'suspicious',
    'mass_follower': 'mass_follower', 'influencer': 'influencer'} -%}

with

account_days as (

    {{ kol_account_days_in_window() }}

),

audience as (

    select * from {{ ref('int_audience') }}
    where {{ kol_in_window('partition_date', lookback) }}

),

{{ kol_audience_judgement_ctes('audience') }},

-- Linear in the samples (kol_trailing_sums_ctes): a sample of day s is in the window of
-- the days [s, s + lookback]; it is its follower's latest sample in the window of the days
-- [s, next sample of the follower - 1] of those. Each sample brings its counts on its day
-- and takes them back the day after, and a day's counts are the running sums.
audience_sample_spans as (

    select
        account_key,
        snapshot_date as counted_from,
        {{ kol_add_days('snapshot_date', lookback) }} as counted_through,
        case
            when next_snapshot_date is not null
                and next_snapshot_date <= {{ kol_add_days('snapshot_date', lookback) }}
                then {{ kol_add_days('next_snapshot_date', -1) }}
            else {{ kol_add_days('snapshot_date', lookback) }}
        end as latest_through,
        suspicion_score,
        audience_type
        {%- for signal in signals %},
        signal_{{ signal }}
        {%- endfor %}

    from (

        select
            audience_judged.*,
            lead(snapshot_date) over (
                partition by account_key, follower_key order by snapshot_date
            ) as next_snapshot_date

        from audience_judged
        where snapshot_date is not null

    ) as samples

),

window_sample_spans as (

    select
        account_key,
        counted_from,
        counted_through,
        1 as profile_samples

    from audience_sample_spans

),

latest_sample_spans as (

    select
        account_key,
        counted_from,
        latest_through as counted_through,
        1 as profiles_sampled,
        case when audience_type is not null then 1 else 0 end as profiles_typed,
        {%- for audience_type in audience_types %}
        case when audience_type = '{{ audience_type }}' then 1 else 0 end as {{ audience_types[audience_type] }}_profiles,
        {%- endfor %}
        -- summed as exact decimals: a float sum depends on the order the rows arrive in, and a
        -- rebuilt window must give identical rows
        cast(suspicion_score as decimal(18, 12)) as suspicion_score_sum,
        case when suspicion_score is not null then 1 else 0 end as suspicion_scores
        {%- for signal in signals %},
        case when audience_type = 'suspicious' and signal_{{ signal }} then 1 else 0 end
            as suspicious_with_{{ signal }}
        {%- endfor %}

    from audience_sample_spans

),

{{ kol_trailing_sums_ctes('window_sample_sums', 'account_days', 'window_sample_spans', ['profile_samples']) }},

{% set latest_measures = ['profiles_sampled', 'profiles_typed'] -%}
{%- for audience_type in audience_types -%}
    {%- do latest_measures.append(audience_types[audience_type] ~ '_profiles') -%}
{%- endfor -%}
{%- for signal in signals -%}
    {%- do latest_measures.append('suspicious_with_' ~ signal) -%}
{%- endfor -%}
{{ kol_trailing_sums_ctes('latest_sample_sums', 'account_days', 'latest_sample_spans',
    latest_measures + ['suspicion_score_sum', 'suspicion_scores']) }},

window_counts as (

    select
        window_sample_sums.account_key,
        window_sample_sums.date_day,
        coalesce(window_sample_sums.profile_samples, 0) as profile_samples,
        {%- for measure in latest_measures %}
        coalesce(latest_sample_sums.{{ measure }}, 0) as {{ measure }},
        {%- endfor %}
        -- the mean of the exact decimals: their exact sum over their count, as avg() gives
        cast(latest_sample_sums.suspicion_score_sum as {{ kol_type_double() }})
            / nullif(latest_sample_sums.suspicion_scores, 0) as mean_suspicion_score

    from window_sample_sums
    {{- kol_left_join_daily('window_sample_sums', ['latest_sample_sums']) }}

),

-- the signal that held for the most suspicious profiles (the first in the signal list on a tie)
with_top_reason as (

    select
        window_counts.*,
        {% if signals | length > 1 -%}
        greatest(
            {%- for signal in signals %}
            suspicious_with_{{ signal }}{{ ',' if not loop.last }}
            {%- endfor %}
        )
        {%- else -%}
        suspicious_with_{{ signals[0] }}
        {%- endif %} as top_reason_profiles

    from window_counts

),

final as (

    select
        account_days.account_key,
        account_days.platform,
        account_days.region,
        account_days.account_id,
        account_days.date_day,
        {{ window_days }} as trailing_window_days,
        cast(coalesce(with_top_reason.profile_samples, 0) as {{ dbt.type_bigint() }}) as profile_samples,
        cast(coalesce(with_top_reason.profiles_sampled, 0) as {{ dbt.type_bigint() }}) as profiles_sampled,
        cast(coalesce(with_top_reason.profiles_typed, 0) as {{ dbt.type_bigint() }}) as profiles_typed,
        {%- for audience_type in audience_types %}
        cast(coalesce(with_top_reason.{{ audience_types[audience_type] }}_profiles, 0) as {{ dbt.type_bigint() }})
            as {{ audience_types[audience_type] }}_profiles,
        {%- endfor %}
        {%- for audience_type in audience_types %}
        {{ kol_safe_divide('with_top_reason.' ~ audience_types[audience_type] ~ '_profiles', 'with_top_reason.profiles_typed') }}
            as {{ audience_types[audience_type] }}_share,
        {%- endfor %}
        {{ kol_safe_divide('with_top_reason.real_people_profiles + with_top_reason.influencer_profiles',
            'with_top_reason.profiles_typed') }} as real_share,
        cast(with_top_reason.mean_suspicion_score as {{ kol_type_double() }}) as mean_suspicion_score,
        case
            when with_top_reason.suspicious_profiles > 0 then
                case
                    {%- for signal in signals %}
                    when with_top_reason.suspicious_with_{{ signal }} = with_top_reason.top_reason_profiles
                        then '{{ signal }}'
                    {%- endfor %}
                end
        end as top_suspicion_reason,
        {{ kol_safe_divide('with_top_reason.top_reason_profiles', 'with_top_reason.suspicious_profiles') }}
            as top_suspicion_reason_share

    from account_days
    {{- kol_left_join_daily('account_days', ['with_top_reason']) }}

)

select * from final
