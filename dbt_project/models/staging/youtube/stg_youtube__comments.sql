{{ config(enabled=kol_platform_enabled('youtube')) }}

with

source as (

    select * from {{ source('youtube', 'comments') }}

),

renamed as (

    select
        'youtube' as platform,
        cast(id as {{ dbt.type_string() }}) as comment_id,
        cast({{ adapter.quote('videoId') }} as {{ dbt.type_string() }}) as post_id,
        cast({{ adapter.quote('channelId') }} as {{ dbt.type_string() }}) as account_id,
        cast({{ adapter.quote('authorChannelId') }} as {{ dbt.type_string() }}) as commenter_id,
        cast({{ adapter.quote('authorDisplayName') }} as {{ dbt.type_string() }}) as commenter_handle,
        {{ adapter.quote('publishedAt') }} as commented_at,
        {{ kol_utc_date(adapter.quote('publishedAt')) }} as commented_date,
        cast({{ adapter.quote('textDisplay') }} as {{ dbt.type_string() }}) as comment_text,
        cast({{ adapter.quote('parentId') }} as {{ dbt.type_string() }}) as parent_comment_id,
        cast(dt as date) as partition_date

    from source

)

select * from renamed
