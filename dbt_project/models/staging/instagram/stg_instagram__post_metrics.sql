{{ config(enabled=kol_platform_enabled('instagram')) }}

with

source as (

    select * from {{ source('instagram', 'post_metrics') }}

),

renamed as (

    select
        'instagram' as platform,
        cast(id as {{ dbt.type_string() }}) as post_id,
        cast(owner_id as {{ dbt.type_string() }}) as account_id,
        cast(snapshot_date as date) as snapshot_date,
        cast(like_count as {{ dbt.type_bigint() }}) as likes,
        cast(comments_count as {{ dbt.type_bigint() }}) as comments,
        -- Instagram publishes no share counter
        cast(null as {{ dbt.type_bigint() }}) as shares,
        -- the media fields carry no view or save counter (those are owner insights)
        cast(null as {{ dbt.type_bigint() }}) as views,
        cast(null as {{ dbt.type_bigint() }}) as saves,
        cast(dt as date) as partition_date

    from source

)

select * from renamed
