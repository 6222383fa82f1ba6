with

source as (

    select * from {{ source('instagram', 'posts') }}

),

renamed as (

    select
        'instagram' as platform,
        cast(id as varchar) as post_id,
        cast(owner_id as varchar) as account_id,
        "timestamp" as published_at,
        {{ kol_utc_date('"timestamp"') }} as published_date,
        cast(caption as varchar) as post_text,
        cast(media_type as varchar) as media_type,
        cast(media_product_type as varchar) as media_product_type,
        cast(permalink as varchar) as permalink,
        cast(dt as date) as partition_date

    from source

),

deduplicated as (

    select distinct * from renamed

)

select * from deduplicated
