{{ config(enabled=kol_platform_enabled('youtube')) }}

with

source as (

    select * from {{ source('youtube', 'posts') }}

),

renamed as (

    select
        'youtube' as platform,
        cast(id as {{ dbt.type_string() }}) as post_id,
        cast({{ adapter.quote('channelId') }} as {{ dbt.type_string() }}) as account_id,
        {{ adapter.quote('publishedAt') }} as published_at,
        {{ kol_utc_date(adapter.quote('publishedAt')) }} as published_date,
        cast(description as {{ dbt.type_string() }}) as post_text,
        -- the Data API gives no media type (every post is a video)
        cast(null as {{ dbt.type_string() }}) as media_type,
        cast(title as {{ dbt.type_string() }}) as video_title,
        cast({{ adapter.quote('categoryId') }} as {{ dbt.type_string() }}) as category_id,
        cast({{ adapter.quote('liveBroadcastContent') }} as {{ dbt.type_string() }}) as live_broadcast_content,
        cast(duration as {{ dbt.type_string() }}) as duration_iso8601,
        cast({{ adapter.quote('hasPaidProductPlacement') }} as {{ dbt.type_boolean() }}) as has_paid_product_placement,
        cast(dt as date) as partition_date

    from source

)

select * from renamed
