{%- set platforms = kol_lake_platforms() -%}

with

{% for platform in platforms %}
{{ platform }}_profiles as (

    select * from {{ ref('stg_' ~ platform ~ '__profiles') }}

),

{% endfor %}
platform_regions as (

    select * from {{ ref('platform_regions') }}

),

unioned as (

    {% for platform in platforms %}
    select
        platform,
        account_id,
        snapshot_date,
        handle,
        followers,
        following,
        posts_count,
        partition_date
    from {{ platform }}_profiles
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

final as (

    select
        {{ kol_make_key('unioned.platform', 'unioned.account_id') }} as account_key,
        unioned.platform,
        platform_regions.region,
        unioned.account_id,
        unioned.snapshot_date,
        unioned.handle,
        unioned.followers,
        unioned.following,
        unioned.posts_count,
        unioned.partition_date

    from unioned
    left join platform_regions
        on platform_regions.platform = unioned.platform

)

select * from final
