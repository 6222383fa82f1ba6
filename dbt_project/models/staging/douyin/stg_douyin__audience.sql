{{ config(enabled=kol_platform_enabled('douyin')) }}

with

source as (

    select * from {{ source('douyin', 'audience') }}

),

renamed as (

    select
        'douyin' as platform,
        cast(followed_open_id as {{ dbt.type_string() }}) as account_id,
        cast(open_id as {{ dbt.type_string() }}) as follower_id,
        cast(snapshot_date as date) as snapshot_date,
        cast(nickname as {{ dbt.type_string() }}) as follower_handle,
        cast(follower_count as {{ dbt.type_bigint() }}) as follower_followers,
        cast(following_count as {{ dbt.type_bigint() }}) as follower_following,
        cast(aweme_count as {{ dbt.type_bigint() }}) as follower_posts_count,
        {{ kol_has_avatar('avatar') }} as has_avatar,
        cast(signature as {{ dbt.type_string() }}) as bio,
        coalesce({{ kol_char_length('signature') }}, 0) as bio_length,
        create_time as follower_created_at,
        {{ kol_audience_field_observed('douyin', 'avatar', 'avatar') }} as avatar_observed,
        {{ kol_audience_field_observed('douyin', 'bio', 'signature') }} as bio_observed,
        cast(nickname_length as {{ dbt.type_int() }}) as follower_handle_length,
        cast(nickname_digit_count as {{ dbt.type_int() }}) as follower_handle_digit_count,
        cast(dt as date) as partition_date

    from source

)

select * from renamed
