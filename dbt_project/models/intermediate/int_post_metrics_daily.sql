{%- set platforms = kol_lake_platforms() -%}

with

{% for platform in platforms %}
{{ platform }}_post_metrics as (

    select * from {{ ref('stg_' ~ platform ~ '__post_metrics') }}

),

{% endfor %}
platform_regions as (

    select * from {{ ref('platform_regions') }}

),

unioned as (

    {% for platform in platforms %}
    select
        platform,
        post_id,
        account_id,
        snapshot_date,
        likes,
        comments,
        shares,
        partition_date
    from {{ platform }}_post_metrics
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

final as (

    select
        {{ kol_make_key('unioned.platform', 'unioned.post_id') }} as post_key,
        {{ kol_make_key('unioned.platform', 'unioned.account_id') }} as account_key,
        unioned.platform,
        platform_regions.region,
        unioned.post_id,
        unioned.account_id,
        unioned.snapshot_date,
        unioned.likes,
        unioned.comments,
        unioned.shares,
        -- the engagement-rate numerator: likes + comments (shares are left out because
        -- not every platform counts them)
        coalesce(unioned.likes, 0) + coalesce(unioned.comments, 0) as engagement,
        unioned.partition_date

    from unioned
    left join platform_regions
        on platform_regions.platform = unioned.platform

)

select * from final
