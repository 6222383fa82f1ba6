{{ config(enabled=kol_platform_enabled('weibo')) }}

with

source as (

    select * from {{ source('weibo', 'post_metrics') }}

),

renamed as (

    select
        'weibo' as platform,
        cast(id as {{ dbt.type_string() }}) as post_id,
        cast(user_id as {{ dbt.type_string() }}) as account_id,
        cast(snapshot_date as date) as snapshot_date,
        cast(attitudes_count as {{ dbt.type_bigint() }}) as likes,
        cast(comments_count as {{ dbt.type_bigint() }}) as comments,
        cast(reposts_count as {{ dbt.type_bigint() }}) as shares,
        -- the open API publishes no view or favourite counter for a post
        cast(null as {{ dbt.type_bigint() }}) as views,
        cast(null as {{ dbt.type_bigint() }}) as saves,
        cast(dt as date) as partition_date

    from source

)

select * from renamed
