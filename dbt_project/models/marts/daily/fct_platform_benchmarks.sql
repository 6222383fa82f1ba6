{{ config(unique_key=['date_day']) }}

{#-
    Benchmarks as of each day: the quartiles (p25, median, p75) of the engagement rate, the
    trailing reply rate and the credibility score over the scored accounts of a group, at
    three levels:
      platform_tier        one row per day, platform (with its region) and follower tier;
      platform_tier_niche  the same, split by the accounts' dominant niche that day;
      region               one row per day and region (East / West), the rest null.

    Reads the window's rows of fct_kol_credibility_daily only: the scored accounts with
    their platform, region, tier and niche that day and the rates the score used, which the
    same invocation rebuilds just before it for the same window. Nothing trailing is read:
    the rates are already trailing upstream.

    Quantiles are continuous (kol_quantile) and ignore nulls: an account without a tracked
    post has no engagement rate and one without follower comments no reply rate (TikTok
    names no comment author, so its reply rate is always null); the accounts_with_* columns
    count the values each quantile is taken over.

    unique_key is date_day alone: a day's rows are rebuilt whole, and the grain's other
    columns are null at the region level (a null never matches a delete+insert key).
-#}
{#- metric columns of account_days, each summarised as <metric>_p25 / _median / _p75 -#}
{%- set metrics = ['engagement_rate', 'reply_rate', 'credibility_score'] -%}
{%- set levels = [
    ('platform_tier', ['platform', 'region', 'tier']),
    ('platform_tier_niche', ['platform', 'region', 'tier', 'niche']),
    ('region', ['region']),
] -%}

with

credibility_daily as (

    select * from {{ ref('fct_kol_credibility_daily') }}
    where {{ kol_in_window('date_day') }}

),

account_days as (

    select
        account_key,
        platform,
        region,
        date_day,
        tier,
        -- an account without a classified post still belongs to its platform and tier
        coalesce(niche, 'unclassified') as niche,
        cast(engagement_rate_latest_posts as {{ kol_type_double() }}) as engagement_rate,
        cast(reply_rate_trailing as {{ kol_type_double() }}) as reply_rate,
        cast(credibility_score as {{ kol_type_double() }}) as credibility_score

    from credibility_daily

),

{% for level, group_columns in levels %}
{{ level }}_benchmarks as (

    select
        date_day,
        '{{ level }}' as benchmark_level,
        {{ 'platform' if 'platform' in group_columns else 'cast(null as ' ~ dbt.type_string() ~ ') as platform' }},
        region,
        {{ 'tier' if 'tier' in group_columns else 'cast(null as ' ~ dbt.type_string() ~ ') as tier' }},
        {{ 'niche' if 'niche' in group_columns else 'cast(null as ' ~ dbt.type_string() ~ ') as niche' }},
        cast(count(credibility_score) as {{ dbt.type_bigint() }}) as accounts,
        cast(count(engagement_rate) as {{ dbt.type_bigint() }}) as accounts_with_engagement_rate,
        cast(count(reply_rate) as {{ dbt.type_bigint() }}) as accounts_with_reply_rate,
        {%- for name in metrics %}
        {{ kol_quantile(name, 0.25) }} as {{ name }}_p25,
        {{ kol_quantile(name, 0.5) }} as {{ name }}_median,
        {{ kol_quantile(name, 0.75) }} as {{ name }}_p75
        {%- if not loop.last %},{% endif %}
        {%- endfor %}

    from account_days
    where credibility_score is not null
    group by date_day, {{ group_columns | join(', ') }}

),

{% endfor %}
final as (
{% for level, _ in levels %}
    select * from {{ level }}_benchmarks
    {%- if not loop.last %}
    union all
    {%- endif %}
{%- endfor %}

)

select
    date_day,
    benchmark_level,
    platform,
    region,
    tier,
    niche,
    accounts,
    accounts_with_engagement_rate,
    accounts_with_reply_rate,
    {%- for name in metrics %}
    {{ name }}_p25,
    {{ name }}_median,
    {{ name }}_p75
    {%- if not loop.last %},{% endif %}
    {%- endfor %}

from final
