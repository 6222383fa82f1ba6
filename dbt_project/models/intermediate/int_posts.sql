{%- set platforms = kol_lake_platforms() -%}

with

{% for platform in platforms %}
{{ platform }}_posts as (

    select * from {{ ref('stg_' ~ platform ~ '__posts') }}

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
        published_at,
        published_date,
        post_text,
        media_type,
        partition_date
    from {{ platform }}_posts
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
        unioned.published_at,
        unioned.published_date,
        unioned.post_text,
        unioned.media_type,
        unioned.partition_date

    from unioned
    left join platform_regions
        on platform_regions.platform = unioned.platform

)

select * from final
