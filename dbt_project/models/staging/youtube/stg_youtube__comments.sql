{{ config(enabled=kol_platform_enabled('youtube')) }}

with

source as (

    select * from {{ source('youtube', 'comments') }}

),

renamed as (

    select
        'youtube' as platform,
        cast(id as {{ dbt.type_string() }}) as comment_id,
        cast("videoId" as {{ dbt.type_string() }}) as post_id,
        cast("channelId" as {{ dbt.type_string() }}) as account_id,
        cast("authorChannelId" as {{ dbt.type_string() }}) as commenter_id,
        cast("authorDisplayName" as {{ dbt.type_string() }}) as commenter_handle,
        "publishedAt" as commented_at,
        {{ kol_utc_date('"publishedAt"') }} as commented_date,
        cast("textDisplay" as {{ dbt.type_string() }}) as comment_text,
        cast("parentId" as {{ dbt.type_string() }}) as parent_comment_id,
        cast(dt as date) as partition_date

    from source

)

select * from renamed
