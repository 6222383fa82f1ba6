{{ config(enabled=kol_platform_enabled('tiktok')) }}

with

source as (

    select * from {{ source('tiktok', 'audience') }}

),

renamed as (

    select
        'tiktok' as platform,
        cast(followed_open_id as {{ dbt.type_string() }}) as account_id,
        -- TikTok identifies a follower by username only: it is both the id and the handle
        cast(username as {{ dbt.type_string() }}) as follower_id,
        cast(snapshot_date as date) as snapshot_date,
        cast(username as {{ dbt.type_string() }}) as follower_handle,
        cast(follower_count as {{ dbt.type_bigint() }}) as follower_followers,
        cast(following_count as {{ dbt.type_bigint() }}) as follower_following,
        cast(video_count as {{ dbt.type_bigint() }}) as follower_posts_count,
        {{ kol_has_avatar('avatar_url') }} as has_avatar,
        cast(bio_description as {{ dbt.type_string() }}) as bio,
        coalesce({{ kol_char_length('bio_description') }}, 0) as bio_length,
        create_time as follower_created_at,
        {{ kol_audience_field_observed('tiktok', 'avatar', 'avatar_url') }} as avatar_observed,
        {{ kol_audience_field_observed('tiktok', 'bio', 'bio_description') }} as bio_observed,
        cast(username_length as {{ dbt.type_int() }}) as follower_handle_length,
        cast(username_digit_count as {{ dbt.type_int() }}) as follower_handle_digit_count,
        cast(dt as date) as partition_date

    from source

)

select * from renamed
