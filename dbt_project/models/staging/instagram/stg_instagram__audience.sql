{{ config(enabled=kol_platform_enabled('instagram')) }}

with

source as (

    select * from {{ source('instagram', 'audience') }}

),

renamed as (

    select
        'instagram' as platform,
        cast(followed_id as {{ dbt.type_string() }}) as account_id,
        cast(id as {{ dbt.type_string() }}) as follower_id,
        cast(snapshot_date as date) as snapshot_date,
        cast(username as {{ dbt.type_string() }}) as follower_handle,
        cast(followers_count as {{ dbt.type_bigint() }}) as follower_followers,
        cast(follows_count as {{ dbt.type_bigint() }}) as follower_following,
        cast(media_count as {{ dbt.type_bigint() }}) as follower_posts_count,
        {{ kol_has_avatar('profile_picture_url') }} as has_avatar,
        cast(biography as {{ dbt.type_string() }}) as bio,
        coalesce({{ kol_char_length('biography') }}, 0) as bio_length,
        account_created_time as follower_created_at,
        {{ kol_audience_field_observed('instagram', 'avatar', 'profile_picture_url') }} as avatar_observed,
        {{ kol_audience_field_observed('instagram', 'bio', 'biography') }} as bio_observed,
        cast(username_length as {{ dbt.type_int() }}) as follower_handle_length,
        cast(username_digit_count as {{ dbt.type_int() }}) as follower_handle_digit_count,
        cast(dt as date) as partition_date

    from source

)

select * from renamed
