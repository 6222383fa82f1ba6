{{ config(enabled=kol_platform_enabled('youtube')) }}

with

source as (

    select * from {{ source('youtube', 'audience') }}

),

renamed as (

    select
        'youtube' as platform,
        cast("resourceChannelId" as {{ dbt.type_string() }}) as account_id,
        cast("subscriberChannelId" as {{ dbt.type_string() }}) as follower_id,
        cast(snapshot_date as date) as snapshot_date,
        cast(title as {{ dbt.type_string() }}) as follower_handle,
        cast("subscriberCount" as {{ dbt.type_bigint() }}) as follower_followers,
        cast("subscriptionCount" as {{ dbt.type_bigint() }}) as follower_following,
        cast("videoCount" as {{ dbt.type_bigint() }}) as follower_posts_count,
        {{ kol_has_avatar('"thumbnailUrl"') }} as has_avatar,
        cast(description as {{ dbt.type_string() }}) as bio,
        coalesce({{ kol_char_length('description') }}, 0) as bio_length,
        "publishedAt" as follower_created_at,
        cast(dt as date) as partition_date

    from source

)

select * from renamed
