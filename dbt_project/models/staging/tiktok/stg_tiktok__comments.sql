{{ config(enabled=kol_platform_enabled('tiktok')) }}

with

source as (

    select * from {{ source('tiktok', 'comments') }}

),

renamed as (

    select
        'tiktok' as platform,
        cast(id as {{ dbt.type_string() }}) as comment_id,
        cast(video_id as {{ dbt.type_string() }}) as post_id,
        cast(video_owner_open_id as {{ dbt.type_string() }}) as account_id,
        -- TikTok serves no comment author: no commenter id or handle
        cast(null as {{ dbt.type_string() }}) as commenter_id,
        cast(null as {{ dbt.type_string() }}) as commenter_handle,
        create_time as commented_at,
        {{ kol_utc_date('create_time') }} as commented_date,
        cast(text as {{ dbt.type_string() }}) as comment_text,
        -- TikTok's parent_comment_id is the video's id on a top-level comment: no parent
        cast(nullif(parent_comment_id, video_id) as {{ dbt.type_string() }}) as parent_comment_id,
        cast(dt as date) as partition_date

    from source

)

select * from renamed
