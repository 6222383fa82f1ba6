{{ config(enabled=kol_platform_enabled('xiaohongshu')) }}

with

source as (

    select * from {{ source('xiaohongshu', 'audience') }}

),

renamed as (

    select
        'xiaohongshu' as platform,
        cast(followed_user_id as {{ dbt.type_string() }}) as account_id,
        cast(user_id as {{ dbt.type_string() }}) as follower_id,
        cast(snapshot_date as date) as snapshot_date,
        cast(nickname as {{ dbt.type_string() }}) as follower_handle,
        cast(fans as {{ dbt.type_bigint() }}) as follower_followers,
        cast(follows as {{ dbt.type_bigint() }}) as follower_following,
        cast(notes as {{ dbt.type_bigint() }}) as follower_posts_count,
        {{ kol_has_avatar('images') }} as has_avatar,
        cast({{ adapter.quote('desc') }} as {{ dbt.type_string() }}) as bio,
        coalesce({{ kol_char_length(adapter.quote('desc')) }}, 0) as bio_length,
        create_time as follower_created_at,
        {{ kol_audience_field_observed('xiaohongshu', 'avatar', 'images') }} as avatar_observed,
        {{ kol_audience_field_observed('xiaohongshu', 'bio', adapter.quote('desc')) }} as bio_observed,
        cast(nickname_length as {{ dbt.type_int() }}) as follower_handle_length,
        cast(nickname_digit_count as {{ dbt.type_int() }}) as follower_handle_digit_count,
        cast(dt as date) as partition_date

    from source

)

select * from renamed
