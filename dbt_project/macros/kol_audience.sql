{#
    Whether a follower's profile-picture URL is a picture of their own: not null, not
    empty, and matching none of var audience_default_avatar_url_patterns (SQL LIKE
    patterns of the placeholders a platform serves instead of none, such as Weibo's grey
    default avatar). Case-sensitive, like the URLs.
#}
{% macro kol_has_avatar(url_column) -%}
    {%- set patterns = var('audience_default_avatar_url_patterns') -%}
    {%- if patterns is string -%}
        {%- set patterns = [patterns] -%}
    {%- endif -%}
    (
        coalesce({{ url_column }}, '') <> ''
        {%- for pattern in patterns %}
        and {{ url_column }} not like '{{ pattern | replace("'", "''") }}'
        {%- endfor %}
    )
{%- endmacro %}

{#
    Whether a staging row tells the value of a follower-profile field (`field`: avatar or
    bio) whose raw column is `column`, so that a field the platform did not send reads as
    unknown rather than as "none". A null is a field not sent, except for the fields that
    var audience_null_means_none lists for the platform, whose API omits the value when the
    follower has none (Instagram and WeChat avatars): there a null is "none" on a day when
    the platform sent the field to at least one sampled follower, and unknown on a day it
    sent it to nobody (real WeChat stopped sending avatars in 2021). Counts over the
    staging model's own rows (one platform) per hive day `dt` (= snapshot_date): a window
    partitioned by `dt` lets the incremental runs' partition filters still prune files.
#}
{% macro kol_audience_field_observed(platform, field, column) -%}
    {%- set null_means_none = var('audience_null_means_none', {}) or {} -%}
    {%- set fields = null_means_none.get(platform, []) or [] -%}
    {%- if fields is string -%}
        {%- set fields = [fields] -%}
    {%- endif -%}
    {%- if field in fields -%}
        ({{ column }} is not null or count({{ column }}) over (partition by dt) > 0)
    {%- else -%}
        ({{ column }} is not null)
    {%- endif -%}
{%- endmacro %}

{#-
    The suspicious-profile signals, in the order suspicion_reasons lists them. Each is a
    boolean of int_audience's columns that is null when the profile does not show its
    inputs (a missing field neither raises nor lowers the score):
      no_avatar             no picture of its own (Modash; Cresci et al. 2015 default image;
                            InstaFake profile picture)
      empty_bio             empty bio (Modash; Cresci et al. 2015; InstaFake)
      few_posts             fewer posts than var audience_min_posts (Modash; HypeAuditor;
                            Cresci et al. 2015)
      young_account         registered fewer than var audience_young_account_days days
                            before the sample (Modash; HypeAuditor registration date;
                            Cresci et al. 2015 account age)
      high_following_ratio  follows at least var audience_following_ratio_min_following
                            accounts and more than var audience_max_following_ratio times its
                            followers (Modash; HypeAuditor; Cresci et al. 2015)
      generated_handle      at least var audience_generated_handle_min_digits digits in its
                            handle, the shape of a platform's numbered default handle
                            (InstaFake: digits in the username)
-#}
{% macro kol_audience_signal_names() -%}
    {{ return(['no_avatar', 'empty_bio', 'few_posts', 'young_account', 'high_following_ratio', 'generated_handle']) }}
{%- endmacro %}

{% macro kol_audience_signal_sql(signal, rel) -%}
    {%- if signal == 'no_avatar' -%}
        case when {{ rel }}.avatar_observed then not {{ rel }}.has_avatar end
    {%- elif signal == 'empty_bio' -%}
        case when {{ rel }}.bio_observed then {{ rel }}.bio_length = 0 end
    {%- elif signal == 'few_posts' -%}
        ({{ rel }}.follower_posts_count < {{ var('audience_min_posts') }})
    {%- elif signal == 'young_account' -%}
        {#- a registration after the sample day is a bad field, not a young account -#}
        case
            when {{ rel }}.follower_account_age_days >= 0
                then {{ rel }}.follower_account_age_days < {{ var('audience_young_account_days') }}
        end
    {%- elif signal == 'high_following_ratio' -%}
        case
            when {{ rel }}.follower_following is not null and {{ rel }}.follower_followers is not null
                then {{ rel }}.follower_following >= {{ var('audience_following_ratio_min_following') }}
                    and {{ rel }}.follower_following
                        > {{ var('audience_max_following_ratio') }} * {{ rel }}.follower_followers
        end
    {%- elif signal == 'generated_handle' -%}
        ({{ rel }}.follower_handle_digit_count >= {{ var('audience_generated_handle_min_digits') }})
    {%- else -%}
        {{ exceptions.raise_compiler_error("unknown audience signal '" ~ signal ~ "'") }}
    {%- endif -%}
{%- endmacro %}

{#
    The signals that count in the suspicion score, with their weights: var
    audience_suspicion_signal_weights, {signal: weight}, in kol_audience_signal_names()
    order; a signal absent or weighted 0 does not count. Fails on an unknown signal, a
    negative weight or no positive weight at all.
#}
{% macro kol_audience_signal_weights() -%}
    {%- set configured = var('audience_suspicion_signal_weights') -%}
    {%- set names = kol_audience_signal_names() -%}
    {%- for signal in configured -%}
        {%- if signal not in names -%}
            {{ exceptions.raise_compiler_error("var audience_suspicion_signal_weights: unknown signal '" ~ signal ~ "' (known: " ~ names | join(', ') ~ ")") }}
        {%- endif -%}
        {%- if (configured[signal] | float) < 0 -%}
            {{ exceptions.raise_compiler_error("var audience_suspicion_signal_weights: weight of '" ~ signal ~ "' is negative") }}
        {%- endif -%}
    {%- endfor -%}
    {%- set weights = {} -%}
    {%- for signal in names if signal in configured and (configured[signal] | float) > 0 -%}
        {%- do weights.update({signal: configured[signal] | float}) -%}
    {%- endfor -%}
    {%- if weights | length == 0 -%}
        {{ exceptions.raise_compiler_error("var audience_suspicion_signal_weights gives no signal a positive weight") }}
    {%- endif -%}
    {{ return(weights) }}
{%- endmacro %}

{#-
    CTEs that judge every sampled follower profile of `source` (a CTE with int_audience's
    columns), so that the profile mart and the account mart judge alike. Rendered without a
    trailing comma, ending in `audience_judged`: source's columns plus
      signal_<name>          every signal of kol_audience_signal_names() (null: not observable)
      signals_observed       counted signals that are observable
      signals_fired          counted signals that hold
      observed_weight        sum of the weights of the observable counted signals
      fired_weight           sum of the weights of the counted signals that hold
      suspicion_score        fired_weight / observed_weight (null when nothing is observable):
                             the weighted share of the observable signals that hold, so a
                             missing field leaves both sums, not just one, and neither raises
                             nor lowers the score
      suspicion_reasons      the counted signals that hold, ', '-separated (null: none)
      is_suspicious          suspicion_score >= var audience_suspicion_score_threshold and
                             signals_fired >= var audience_suspicious_min_signals (several
                             signals must agree: Cresci et al. 2015 found single-feature rules
                             poor); null when observed_weight is under
                             var audience_min_observed_weight_share of the total weight
      is_mass_follower       follows more than var audience_mass_follower_following (HypeAuditor)
      is_influencer          more than var audience_influencer_min_followers followers and fewer
                             than var audience_mass_follower_following followings (HypeAuditor)
      audience_type          precedence: suspicious > mass_follower > influencer > real; null
                             when the profile is too little observed to be judged and its counts
                             make it neither a mass follower nor an influencer
-#}
{% macro kol_audience_judgement_ctes(source) -%}
{%- set weights = kol_audience_signal_weights() -%}
{%- set total_weight = weights.values() | sum -%}
{%- set min_observed_weight = total_weight * (var('audience_min_observed_weight_share') | float) -%}
{%- set min_signals = var('audience_suspicious_min_signals') | int -%}
{%- set threshold = var('audience_suspicion_score_threshold') | float -%}
{%- set mass_following = var('audience_mass_follower_following') -%}
audience_signals as (

    select
        {{ source }}.*,
        {%- for signal in kol_audience_signal_names() %}
        {{ kol_audience_signal_sql(signal, source) }} as signal_{{ signal }}{{ ',' if not loop.last }}
        {%- endfor %}

    from {{ source }}

),

audience_weighted as (

    select
        audience_signals.*,
        {%- for signal in weights %}
        (case when signal_{{ signal }} is not null then 1 else 0 end){{ ' +' if not loop.last }}
        {%- endfor %} as signals_observed,
        {%- for signal in weights %}
        (case when signal_{{ signal }} then 1 else 0 end){{ ' +' if not loop.last }}
        {%- endfor %} as signals_fired,
        cast(
            {%- for signal in weights %}
            (case when signal_{{ signal }} is not null then {{ weights[signal] }} else 0 end){{ ' +' if not loop.last }}
            {%- endfor %}
            as {{ kol_type_double() }}
        ) as observed_weight,
        cast(
            {%- for signal in weights %}
            (case when signal_{{ signal }} then {{ weights[signal] }} else 0 end){{ ' +' if not loop.last }}
            {%- endfor %}
            as {{ kol_type_double() }}
        ) as fired_weight,
        {# ', a, b': a separator before each reason, then the first one cut #}
        nullif(substr({{ dbt.concat(kol_audience_reason_parts(weights.keys() | list)) }}, 3), '')
            as suspicion_reasons

    from audience_signals

),

audience_scored as (

    select
        audience_weighted.*,
        case when observed_weight > 0 then fired_weight / observed_weight end as suspicion_score,
        case
            when observed_weight >= {{ min_observed_weight }}
                then fired_weight >= {{ threshold }} * observed_weight
                    and signals_fired >= {{ min_signals }}
        end as is_suspicious,
        follower_following > {{ mass_following }} as is_mass_follower,
        follower_followers > {{ var('audience_influencer_min_followers') }}
            and follower_following < {{ mass_following }} as is_influencer

    from audience_weighted

),

audience_judged as (

    select
        audience_scored.*,
        case
            when is_suspicious then 'suspicious'
            when is_mass_follower then 'mass_follower'
            when is_influencer then 'influencer'
            when not is_suspicious then 'real'
        end as audience_type

    from audience_scored

)
{%- endmacro %}

{# One `', <signal>'` (or '') string expression per signal, for suspicion_reasons. #}
{% macro kol_audience_reason_parts(signals) -%}
    {%- set parts = [] -%}
    {%- for signal in signals -%}
        {%- do parts.append("coalesce(case when signal_" ~ signal ~ " then ', " ~ signal ~ "' end, '')") -%}
    {%- endfor -%}
    {{ return(parts) }}
{%- endmacro %}
