{{ config(unique_key=['account_key', 'date_day']) }}

{#-
    credibility_score (0-100) = the sum of six named components' points:
      reach_momentum        28-day follower growth                (fct_followers_daily)
      community_engagement  engagement rate of the latest posts   (fct_account_interactions_daily)
      reciprocity           reply rate to follower comments       (fct_reciprocity_daily)
      expertise_focus       share of posts in the dominant niche  (fct_kol_niche_daily)
      retail_sway           conversion of clicks into orders      (fct_account_commerce_daily)
      authenticity          the weakest of growth (bought followers, mass following),
                            audience and comment authenticity
                            (fct_followers_daily, fct_audience_quality_daily,
                             fct_comment_authenticity_daily)
    Each component turns its value into a subscore in [0, 1] by a fixed rule whose
    thresholds are vars (absolute, so that a score does not move when other accounts do);
    its percentile within platform and tier that day is stored beside it, for context.

    A component whose value is unknown (a platform that does not publish the counter, no
    sponsored sale, no follower comment in the window) is left out, and the weights of the
    known ones are scaled up to 100: an account is neither punished nor rewarded for what
    cannot be seen. Below var credibility_min_known_weight of known weight there is no score.

    Reads the window's rows of the daily marts above, which the same invocation rebuilds
    just before it for the same window and which already carry their trailing windows.
-#}
{%- set weights = var('credibility_weights') -%}
{%- set components = ['reach_momentum', 'community_engagement', 'reciprocity',
                      'expertise_focus', 'retail_sway', 'authenticity'] -%}
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
{%- set double = kol_type_double() -%}

with

followers_daily as (

    select * from {{ ref('fct_followers_daily') }}
    where {{ kol_in_window('date_day') }}

),

interactions_daily as (

    select * from {{ ref('fct_account_interactions_daily') }}
    where {{ kol_in_window('date_day') }}

),

reciprocity_daily as (

    select * from {{ ref('fct_reciprocity_daily') }}
    where {{ kol_in_window('date_day') }}

),

niche_daily as (

    select * from {{ ref('fct_kol_niche_daily') }}
    where {{ kol_in_window('date_day') }}

),

commerce_daily as (

    select * from {{ ref('fct_account_commerce_daily') }}
    where {{ kol_in_window('date_day') }}

),

audience_daily as (

    select * from {{ ref('fct_audience_quality_daily') }}
    where {{ kol_in_window('date_day') }}

),

comment_authenticity_daily as (

    select * from {{ ref('fct_comment_authenticity_daily') }}
    where {{ kol_in_window('date_day') }}

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
        niche_daily.dominant_niche as niche,
        cast(followers_daily.follower_growth_28d as {{ double }}) as follower_growth_28d,
        cast(interactions_daily.engagement_rate_latest_posts as {{ double }}) as engagement_rate_latest_posts,
        reciprocity_daily.follower_comments as follower_comments_trailing,
        cast(reciprocity_daily.reply_rate as {{ double }}) as reply_rate_trailing,
        niche_daily.classified_posts as expertise_classified_posts,
        cast(niche_daily.dominant_niche_share as {{ double }}) as dominant_niche_share,
        commerce_daily.clicks_trailing as commerce_clicks_trailing,
        commerce_daily.orders_trailing as commerce_orders_trailing,
        cast(commerce_daily.conversion_rate_trailing as {{ double }}) as conversion_rate_trailing,
        followers_daily.suspicious_growth_days_trailing,
        followers_daily.following_spike_days_trailing,
        audience_daily.profiles_sampled as audience_sampled_trailing,
        cast(audience_daily.real_share as {{ double }}) as audience_real_share_trailing,
        comment_authenticity_daily.follower_comments_trailing as authenticity_follower_comments_trailing,
        cast(comment_authenticity_daily.suspicious_comment_share as {{ double }}) as suspicious_comment_share_trailing,
        comment_authenticity_daily.comment_authenticity_verdict

    from followers_daily
    {{- kol_left_join_daily('followers_daily', [
        'interactions_daily', 'reciprocity_daily', 'niche_daily', 'commerce_daily',
        'audience_daily', 'comment_authenticity_daily']) }}

),

-- the three kinds of evidence of authenticity, each a subscore in [0, 1] or null
authenticity_parts as (

    select
        inputs.*,
        {{ kol_engagement_rate_reference('inputs.tier') }} as engagement_rate_reference,
        -- bought followers and mass following to be followed back are both growth fraud
        1 - {{ kol_clamp(
            kol_safe_divide('coalesce(suspicious_growth_days_trailing, 0) + coalesce(following_spike_days_trailing, 0)',
                var('suspicious_growth_days_for_zero_points')),
            0, 1) }} as growth_authenticity,
        {{ kol_clamp(
            kol_safe_divide(
                'audience_real_share_trailing - ' ~ var('audience_real_share_zero_points'),
                var('audience_real_share_full_points') - var('audience_real_share_zero_points')),
            0, 1) }} as audience_authenticity,
        -- a verdict exists only with enough comments; without one, comments are no evidence
        case when comment_authenticity_verdict is not null then
            1 - {{ kol_clamp(
                kol_safe_divide(
                    'suspicious_comment_share_trailing - ' ~ var('comment_suspicious_share_normal_max'),
                    var('comment_suspicious_share_alarm') - var('comment_suspicious_share_normal_max')),
                0, 1) }}
        end as comment_authenticity

    from inputs

),

-- each component's value (what is measured) and subscore (its share of the weight)
component_values as (

    select
        authenticity_parts.*,

        follower_growth_28d as reach_momentum_value,
        {{ kol_clamp(kol_safe_divide('follower_growth_28d', var('reach_full_points_growth_28d')), 0, 1) }}
            as reach_momentum_subscore,

        engagement_rate_latest_posts as community_engagement_value,
        {{ kol_clamp(
            kol_safe_divide('engagement_rate_latest_posts',
                'engagement_rate_reference * ' ~ var('engagement_full_points_multiple')),
            0, 1) }} as community_engagement_subscore,

        reply_rate_trailing as reciprocity_value,
        {{ kol_clamp(kol_safe_divide('reply_rate_trailing', var('reciprocity_full_points_reply_rate')), 0, 1) }}
            as reciprocity_subscore,

        dominant_niche_share as expertise_focus_value,
        {{ kol_clamp(
            kol_safe_divide(
                'dominant_niche_share - ' ~ var('expertise_share_zero_points'),
                var('expertise_share_full_points') - var('expertise_share_zero_points')),
            0, 1) }} as expertise_focus_subscore,

        conversion_rate_trailing as retail_sway_value,
        {{ kol_clamp(kol_safe_divide('conversion_rate_trailing', var('retail_full_points_conversion_rate')), 0, 1) }}
            as retail_sway_subscore,

        {{ kol_least_known(['growth_authenticity', 'audience_authenticity', 'comment_authenticity']) }}
            as authenticity_value,
        {{ kol_least_known(['growth_authenticity', 'audience_authenticity', 'comment_authenticity']) }}
            as authenticity_subscore

    from authenticity_parts

),

known_weights as (

    select
        component_values.*,
        0
        {%- for component in components %}
        + case when {{ component }}_subscore is not null then {{ weights[component] }} else 0 end
        {%- endfor %} as known_weight

    from component_values

),

points as (

    select
        known_weights.*,
        {%- for component in components %}
        {{ weights[component] }} as {{ component }}_weight,
        case when known_weight >= {{ var('credibility_min_known_weight') }} then
            cast(round({{ weights[component] }} * {{ component }}_subscore * 100.0 / known_weight, 2) as decimal(5, 2))
        end as {{ component }}_points,
        case when {{ component }}_value is not null then
            percent_rank() over (
                partition by date_day, platform, tier, {{ component }}_value is null
                order by {{ component }}_value
            )
        end as {{ component }}_percentile
        {%- if not loop.last %},{% endif %}
        {%- endfor %}

    from known_weights

),

scored as (

    select
        points.*,
        case when known_weight >= {{ var('credibility_min_known_weight') }} then
            cast(
                {% for component in components -%}
                coalesce({{ component }}_points, 0){% if not loop.last %} + {% endif %}
                {%- endfor %}
                as decimal(5, 2))
        end as credibility_score

    from points

),

final as (

    select
        account_key,
        platform,
        region,
        account_id,
        date_day,
        followers,
        tier,
        niche,
        {%- for component in components %}
        cast({{ component }}_value as {{ double }}) as {{ component }}_value,
        cast({{ component }}_subscore as {{ double }}) as {{ component }}_subscore,
        cast({{ component }}_percentile as {{ double }}) as {{ component }}_percentile,
        {{ component }}_weight,
        {{ component }}_points,
        {%- endfor %}
        follower_growth_28d,
        engagement_rate_latest_posts,
        cast(engagement_rate_reference as {{ double }}) as engagement_rate_reference,
        follower_comments_trailing,
        reply_rate_trailing,
        expertise_classified_posts,
        commerce_clicks_trailing,
        commerce_orders_trailing,
        suspicious_growth_days_trailing,
        following_spike_days_trailing,
        cast(growth_authenticity as {{ double }}) as growth_authenticity,
        audience_sampled_trailing,
        audience_real_share_trailing,
        cast(audience_authenticity as {{ double }}) as audience_authenticity,
        authenticity_follower_comments_trailing,
        suspicious_comment_share_trailing,
        cast(comment_authenticity as {{ double }}) as comment_authenticity,
        known_weight,
        credibility_score,
        case when credibility_score is not null then
            percent_rank() over (
                partition by date_day, platform, tier, credibility_score is null
                order by credibility_score
            )
        end as credibility_percentile_in_platform_tier

    from scored

)

select * from final
