{{ config(enabled=kol_platform_enabled('tiktok')) }}

with

source as (

    select * from {{ source('tiktok', 'post_metrics') }}

),

renamed as (

    select
        'tiktok' as platform,
        cast(id as {{ dbt.type_string() }}) as post_id,
        cast(open_id as {{ dbt.type_string() }}) as account_id,
        cast(snapshot_date as date) as snapshot_date,
        cast(like_count as {{ dbt.type_bigint() }}) as likes,
        cast(comment_count as {{ dbt.type_bigint() }}) as comments,
        cast(share_count as {{ dbt.type_bigint() }}) as shares,
        -- the research API publishes no favourite counter
        cast(view_count as {{ dbt.type_bigint() }}) as views,
        cast(null as {{ dbt.type_bigint() }}) as saves,
        cast(dt as date) as partition_date

    from source

)

select * from renamed
