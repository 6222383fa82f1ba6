{{ config(enabled=kol_platform_enabled('bilibili')) }}

with

source as (

    select * from {{ source('bilibili', 'posts') }}

),

renamed as (

    select
        'bilibili' as platform,
        cast(aid as {{ dbt.type_string() }}) as post_id,
        cast(mid as {{ dbt.type_string() }}) as account_id,
        created as published_at,
        {{ kol_utc_date('created') }} as published_date,
        cast(title as {{ dbt.type_string() }}) as post_text,
        -- every post is a video, but Bilibili sends no media type
        cast(null as {{ dbt.type_string() }}) as media_type,
        cast(bvid as {{ dbt.type_string() }}) as bilibili_bvid,
        cast(description as {{ dbt.type_string() }}) as video_description,
        cast(length as {{ dbt.type_int() }}) as duration_seconds,
        cast(typeid as {{ dbt.type_int() }}) as bilibili_type_id,
        cast(copyright as {{ dbt.type_string() }}) as bilibili_copyright,
        cast(is_live_playback as {{ dbt.type_boolean() }}) as is_live_playback,
        cast(dt as date) as partition_date

    from source

)

select * from renamed
