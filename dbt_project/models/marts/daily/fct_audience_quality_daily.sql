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

window_samples as (

    select
        account_days.account_key,
        account_days.date_day,
        audience_judged.follower_key,
        audience_judged.suspicion_score,
        audience_judged.audience_type,
        {%- for signal in signals %}
        audience_judged.signal_{{ signal }},
        {%- endfor %}
        row_number() over (
            partition by account_days.account_key, account_days.date_day, audience_judged.follower_key
            order by audience_judged.snapshot_date desc
        ) as sample_recency

    from account_days
    inner join audience_judged
        on audience_judged.account_key = account_days.account_key
        and {{ kol_in_trailing_window('audience_judged.snapshot_date', 'account_days.date_day', lookback) }}

),

window_counts as (

    select
        account_key,
        date_day,
        count(*) as profile_samples,
        count(case when sample_recency = 1 then 1 end) as profiles_sampled,
        count(case when sample_recency = 1 then audience_type end) as profiles_typed,
        {%- for audience_type in audience_types %}
        count(case when sample_recency = 1 and audience_type = '{{ audience_type }}' then 1 end)
            as {{ audience_types[audience_type] }}_profiles,
        {%- endfor %}
        -- summed as exact decimals: a float sum depends on the order the rows arrive in, and a
        -- rebuilt window must give identical rows
        avg(case when sample_recency = 1 then cast(suspicion_score as decimal(18, 12)) end)
            as mean_suspicion_score
        {%- for signal in signals %},
        count(case when sample_recency = 1 and audience_type = 'suspicious' and signal_{{ signal }} then 1 end)
            as suspicious_with_{{ signal }}
        {%- endfor %}

    from window_samples
    group by account_key, date_day

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
