{{ config(unique_key=['account_key', 'follower_key', 'date_day']) }}

{#-
    Audience quality per sampled follower profile: one row per tracked account, sampled
    follower and sample day in [min_date, max_date]. A profile is judged on its own sample
    only (no lookback), by the rules of kol_audience_judgement_ctes (macros/kol_audience.sql),
    which fct_audience_quality_daily shares.
-#}

with

audience as (

    select * from {{ ref('int_audience') }}
    where {{ kol_in_window('partition_date') }}

),

{{ kol_audience_judgement_ctes('audience') }},

final as (

    select
        account_key,
        platform,
        region,
        account_id,
        follower_key,
        follower_id,
        snapshot_date as date_day,
        follower_followers,
        follower_following,
        follower_following_ratio,
        follower_posts_count,
        follower_account_age_days,
        case when avatar_observed then has_avatar end as has_avatar,
        case when bio_observed then bio_length end as bio_length,
        follower_handle_length,
        follower_handle_digit_count,
        {%- for signal in kol_audience_signal_names() %}
        signal_{{ signal }},
        {%- endfor %}
        cast(signals_observed as integer) as signals_observed,
        cast(signals_fired as integer) as signals_fired,
        observed_weight,
        fired_weight,
        suspicion_score,
        suspicion_reasons,
        is_suspicious,
        is_mass_follower,
        is_influencer,
        audience_type

    from audience_judged

)

select * from final
