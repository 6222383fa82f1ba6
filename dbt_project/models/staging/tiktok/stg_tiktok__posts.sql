{{ config(enabled=kol_platform_enabled('tiktok')) }}

with

source as (

    select * from {{ source('tiktok', 'posts') }}

),

renamed as (

    select
        'tiktok' as platform,
        cast(id as {{ dbt.type_string() }}) as post_id,
        cast(open_id as {{ dbt.type_string() }}) as account_id,
        create_time as published_at,
        {{ kol_utc_date('create_time') }} as published_date,
        cast(video_description as {{ dbt.type_string() }}) as post_text,
        -- TikTok gives no media type (every post is a video)
        cast(null as {{ dbt.type_string() }}) as media_type,
        cast(title as {{ dbt.type_string() }}) as video_title,
        cast(duration as {{ dbt.type_bigint() }}) as duration_seconds,
        cast(share_url as {{ dbt.type_string() }}) as permalink,
        cast(dt as date) as partition_date

    from source

)

select * from renamed
