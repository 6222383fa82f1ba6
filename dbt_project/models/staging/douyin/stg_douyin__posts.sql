{{ config(enabled=kol_platform_enabled('douyin')) }}

with

source as (

    select * from {{ source('douyin', 'posts') }}

),

renamed as (

    select
        'douyin' as platform,
        cast(item_id as {{ dbt.type_string() }}) as post_id,
        cast(open_id as {{ dbt.type_string() }}) as account_id,
        create_time as published_at,
        {{ kol_utc_date('create_time') }} as published_date,
        cast(title as {{ dbt.type_string() }}) as post_text,
        cast(media_type as {{ dbt.type_string() }}) as media_type,
        cast(cover as {{ dbt.type_string() }}) as cover_url,
        cast(share_url as {{ dbt.type_string() }}) as share_url,
        cast(video_status as {{ dbt.type_int() }}) as douyin_video_status,
        cast(is_top as {{ dbt.type_boolean() }}) as is_pinned,
        cast(is_reviewed as {{ dbt.type_boolean() }}) as is_reviewed,
        cast(dt as date) as partition_date

    from source

)

select * from renamed
