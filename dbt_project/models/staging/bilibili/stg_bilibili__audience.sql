{{ config(enabled=kol_platform_enabled('bilibili')) }}

with

source as (

    select * from {{ source('bilibili', 'audience') }}

),

renamed as (

    select
        'bilibili' as platform,
        cast(vmid as {{ dbt.type_string() }}) as account_id,
        cast(mid as {{ dbt.type_string() }}) as follower_id,
        cast(snapshot_date as date) as snapshot_date,
        cast(uname as {{ dbt.type_string() }}) as follower_handle,
        cast(follower as {{ dbt.type_bigint() }}) as follower_followers,
        cast(following as {{ dbt.type_bigint() }}) as follower_following,
        cast(archive_count as {{ dbt.type_bigint() }}) as follower_posts_count,
        {{ kol_has_avatar('face') }} as has_avatar,
        cast(sign as {{ dbt.type_string() }}) as bio,
        coalesce({{ kol_char_length('sign') }}, 0) as bio_length,
        jointime as follower_created_at,
        {{ kol_audience_field_observed('bilibili', 'avatar', 'face') }} as avatar_observed,
        {{ kol_audience_field_observed('bilibili', 'bio', 'sign') }} as bio_observed,
        cast(uname_length as {{ dbt.type_int() }}) as follower_handle_length,
        cast(uname_digit_count as {{ dbt.type_int() }}) as follower_handle_digit_count,
        cast(dt as date) as partition_date

    from source

)

select * from renamed
