{%- set platforms = kol_lake_platforms() -%}

with

{% for platform in platforms %}
{{ platform }}_audience as (

    select * from {{ ref('stg_' ~ platform ~ '__audience') }}

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
        follower_id,
        snapshot_date,
        follower_handle,
        follower_followers,
        follower_following,
        follower_posts_count,
        has_avatar,
        bio_length,
        follower_created_at,
        partition_date
    from {{ platform }}_audience
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

final as (

    select
        {{ kol_make_key('unioned.platform', 'unioned.account_id') }} as account_key,
        {{ kol_make_key('unioned.platform', 'unioned.follower_id') }} as follower_key,
        unioned.platform,
        platform_regions.region,
        unioned.account_id,
        unioned.follower_id,
        unioned.snapshot_date,
        unioned.follower_handle,
        unioned.follower_followers,
        unioned.follower_following,
        unioned.follower_posts_count,
        unioned.has_avatar,
        unioned.bio_length,
        unioned.bio_length > 0 as has_bio,
        unioned.follower_created_at,
        {{ kol_days_between(kol_utc_date('unioned.follower_created_at'), 'unioned.snapshot_date') }}
            as follower_account_age_days,
        {{ kol_safe_divide('unioned.follower_following', 'unioned.follower_followers') }}
            as follower_following_ratio,
        unioned.partition_date

    from unioned
    left join platform_regions
        on platform_regions.platform = unioned.platform

)

select * from final
