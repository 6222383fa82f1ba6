with

source as (

    select * from {{ source('weibo', 'posts') }}

),

renamed as (

    select
        'weibo' as platform,
        cast(id as varchar) as post_id,
        cast(user_id as varchar) as account_id,
        created_at as published_at,
        {{ kol_utc_date('created_at') }} as published_date,
        cast(text as varchar) as post_text,
        cast(null as varchar) as media_type,
        cast(mid as varchar) as weibo_mid,
        cast(source as varchar) as weibo_client_source,
        cast(is_long_text as boolean) as is_long_text,
        cast(pic_count as integer) as picture_count,
        cast(dt as date) as partition_date

    from source

),

deduplicated as (

    select distinct * from renamed

)

select * from deduplicated
