{{ config(enabled=kol_platform_enabled('youtube')) }}

with

source as (

    select * from {{ source('youtube', 'audience') }}

),

renamed as (

    select
        'youtube' as platform,
        cast({{ adapter.quote('resourceChannelId') }} as {{ dbt.type_string() }}) as account_id,
        cast({{ adapter.quote('subscriberChannelId') }} as {{ dbt.type_string() }}) as follower_id,
        cast(snapshot_date as date) as snapshot_date,
        cast(title as {{ dbt.type_string() }}) as follower_handle,
        cast({{ adapter.quote('subscriberCount') }} as {{ dbt.type_bigint() }}) as follower_followers,
        cast({{ adapter.quote('subscriptionCount') }} as {{ dbt.type_bigint() }}) as follower_following,
        cast({{ adapter.quote('videoCount') }} as {{ dbt.type_bigint() }}) as follower_posts_count,
        {{ kol_has_avatar(adapter.quote('thumbnailUrl')) }} as has_avatar,
        cast(description as {{ dbt.type_string() }}) as bio,
        coalesce({{ kol_char_length('description') }}, 0) as bio_length,
        {{ adapter.quote('publishedAt') }} as follower_created_at,
        {{ kol_audience_field_observed('youtube', 'avatar', adapter.quote('thumbnailUrl')) }} as avatar_observed,
        {{ kol_audience_field_observed('youtube', 'bio', 'description') }} as bio_observed,
        cast(title_length as {{ dbt.type_int() }}) as follower_handle_length,
        cast(title_digit_count as {{ dbt.type_int() }}) as follower_handle_digit_count,
        cast(dt as date) as partition_date

    from source

)

select * from renamed
