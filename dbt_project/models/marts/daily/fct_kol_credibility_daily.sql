{{ config(unique_key=['account_key', 'date_day']) }}

{#-
    credibility_score (0-100) = engagement_points + reciprocity_points
                              + growth_authenticity_points + audience_authenticity_points.
    Each component is stored with its inputs; its maximum is its weight in
    var('credibility_weights'). A component without input (no tracked post, no follower
    comment, no audience sample) earns 0 points: no evidence, no credit.

    Reads the window's rows of fct_followers_daily and fct_account_interactions_daily,
    which the same invocation has just rebuilt for the same window and which already carry
    the trailing-window inputs, plus int_audience with the trailing-window lookback.
-#}
{%- set weights = var('credibility_weights') -%}
{%- set components = ['engagement', 'reciprocity', 'growth_authenticity', 'audience_authenticity'] -%}
{%- set ns = namespace(total=0) -%}
{%- for component in components -%}
    {%- if component not in weights -%}
        {{ exceptions.raise_compiler_error("var credibility_weights lacks '" ~ component ~ "'") }}
    {%- endif -%}
    {%- set ns.total = ns.total + (weights[component] | float) -%}
{%- endfor -%}
{%- if (ns.total - 100) | abs > 0.0001 -%}
    {{ exceptions.raise_compiler_error("var credibility_weights must add up to 100, got " ~ ns.total) }}
{%- endif -%}
{%- set trailing_days = var('credibility_window_days') | int -%}
{%- set trailing_lookback = trailing_days - 1 -%}

with

followers_daily as (

    select * from {{ ref('fct_followers_daily') }}
    where {{ kol_in_window('date_day') }}

),

interactions_daily as (

    select * from {{ ref('fct_account_interactions_daily') }}
    where {{ kol_in_window('date_day') }}

),

audience as (

    select * from {{ ref('int_audience') }}
    where {{ kol_in_window('partition_date', trailing_lookback) }}

),

-- audience sample: a follower is suspicious when enough of the Modash signals hold,
-- a mass follower when it follows too many accounts (HypeAuditor); the rest is real
audience_signals as (

    select
        account_key,
        snapshot_date,
        (case when not has_avatar then 1 else 0 end)
        + (case when bio_length = 0 then 1 else 0 end)
        + (case when coalesce(follower_posts_count, 0) < {{ var('audience_min_posts') }} then 1 else 0 end)
        + (case when follower_account_age_days < {{ var('audience_young_account_days') }} then 1 else 0 end)
        + (case
            when coalesce(follower_following, 0)
                > {{ var('audience_max_following_ratio') }} * coalesce(follower_followers, 0)
                then 1 else 0
          end) as suspicious_signals,
        coalesce(follower_following, 0) > {{ var('audience_mass_follower_following') }} as is_mass_follower

    from audience

),

audience_daily as (

    select
        account_key,
        snapshot_date,
        count(*) as sampled,
        count(
            case
                when suspicious_signals < {{ var('audience_suspicious_min_signals') }}
                    and not is_mass_follower
                    then 1
            end
        ) as real_followers

    from audience_signals
    group by account_key, snapshot_date

),

audience_trailing as (

    select
        followers_daily.account_key,
        followers_daily.date_day,
        cast(sum(audience_daily.sampled) as {{ dbt.type_bigint() }}) as audience_sampled_trailing,
        cast(sum(audience_daily.real_followers) as {{ dbt.type_bigint() }}) as audience_real_trailing

    from followers_daily
    inner join audience_daily
        on audience_daily.account_key = followers_daily.account_key
        and {{ kol_in_trailing_window('audience_daily.snapshot_date', 'followers_daily.date_day', trailing_lookback) }}

    group by followers_daily.account_key, followers_daily.date_day

),

inputs as (

    select
        followers_daily.account_key,
        followers_daily.platform,
        followers_daily.region,
        followers_daily.account_id,
        followers_daily.date_day,
        followers_daily.followers,
        {{ kol_tier('followers_daily.followers') }} as tier,
        interactions_daily.engagement_rate_latest_posts,
        interactions_daily.follower_comments_trailing,
        interactions_daily.reply_rate_trailing,
        followers_daily.suspicious_growth_days_trailing,
        coalesce(audience_trailing.audience_sampled_trailing, 0) as audience_sampled_trailing,
        {{ kol_safe_divide('audience_trailing.audience_real_trailing', 'audience_trailing.audience_sampled_trailing') }}
            as audience_real_share_trailing

    from followers_daily
    {{- kol_left_join_daily('followers_daily', ['interactions_daily', 'audience_trailing']) }}

),

with_reference as (

    select
        inputs.*,
        {{ kol_engagement_rate_reference('inputs.tier') }} as engagement_rate_reference

    from inputs

),

-- each component as a share (0..1) of its weight
component_shares as (

    select
        with_reference.*,
        coalesce({{ kol_clamp(
            kol_safe_divide('engagement_rate_latest_posts',
                'engagement_rate_reference * ' ~ var('engagement_full_points_multiple')),
            0, 1) }}, 0) as engagement_share,
        coalesce({{ kol_clamp(
            kol_safe_divide('reply_rate_trailing', var('reciprocity_full_points_reply_rate')),
            0, 1) }}, 0) as reciprocity_share,
        1 - {{ kol_clamp(
            kol_safe_divide('suspicious_growth_days_trailing', var('suspicious_growth_days_for_zero_points')),
            0, 1) }} as growth_authenticity_share,
        coalesce({{ kol_clamp(
            kol_safe_divide(
                'audience_real_share_trailing - ' ~ var('audience_real_share_zero_points'),
                var('audience_real_share_full_points') - var('audience_real_share_zero_points')),
            0, 1) }}, 0) as audience_authenticity_share

    from with_reference

),

points as (

    select
        component_shares.*,
        {%- for component in components %}
        cast(round({{ weights[component] }} * {{ component }}_share, 2) as decimal(5, 2)) as {{ component }}_points
        {%- if not loop.last %},{% endif %}
        {%- endfor %}

    from component_shares

),

scored as (

    select
        points.*,
        cast(
            {% for component in components -%}
            {{ component }}_points{% if not loop.last %} + {% endif %}
            {%- endfor %}
            as decimal(5, 2)
        ) as credibility_score

    from points

),

final as (

    select
        account_key,
        platform,
        region,
        account_id,
        date_day,
        {{ trailing_days }} as trailing_window_days,
        followers,
        tier,
        engagement_rate_latest_posts,
        cast(engagement_rate_reference as {{ kol_type_double() }}) as engagement_rate_reference,
        engagement_points,
        follower_comments_trailing,
        reply_rate_trailing,
        reciprocity_points,
        suspicious_growth_days_trailing,
        growth_authenticity_points,
        audience_sampled_trailing,
        audience_real_share_trailing,
        audience_authenticity_points,
        credibility_score,
        percent_rank() over (
            partition by platform, tier, date_day
            order by credibility_score
        ) as credibility_percentile_in_platform_tier

    from scored

)

select * from final
