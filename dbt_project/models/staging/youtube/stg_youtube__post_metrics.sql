{{ config(enabled=kol_platform_enabled('youtube')) }}

with

source as (

    select * from {{ source('youtube', 'post_metrics') }}

),

renamed as (

    select
        'youtube' as platform,
        cast(id as {{ dbt.type_string() }}) as post_id,
        cast({{ adapter.quote('channelId') }} as {{ dbt.type_string() }}) as account_id,
        cast(snapshot_date as date) as snapshot_date,
        cast({{ adapter.quote('likeCount') }} as {{ dbt.type_bigint() }}) as likes,
        cast({{ adapter.quote('commentCount') }} as {{ dbt.type_bigint() }}) as comments,
        -- the Data API publishes no share counter
        cast(null as {{ dbt.type_bigint() }}) as shares,
        -- the Data API's favoriteCount is deprecated (always 0): no save counter
        cast({{ adapter.quote('viewCount') }} as {{ dbt.type_bigint() }}) as views,
        cast(null as {{ dbt.type_bigint() }}) as saves,
        cast(dt as date) as partition_date

    from source

)

select * from renamed
