{{ config(enabled=kol_platform_enabled('bilibili')) }}

with

source as (

    select * from {{ source('bilibili', 'post_metrics') }}

),

renamed as (

    select
        'bilibili' as platform,
        cast(aid as {{ dbt.type_string() }}) as post_id,
        cast(mid as {{ dbt.type_string() }}) as account_id,
        cast(snapshot_date as date) as snapshot_date,
        cast({{ adapter.quote('like') }} as {{ dbt.type_bigint() }}) as likes,
        cast(reply as {{ dbt.type_bigint() }}) as comments,
        cast(share as {{ dbt.type_bigint() }}) as shares,
        -- plays; favourites (收藏) are the saves (coins and danmaku stay in the source)
        cast(view as {{ dbt.type_bigint() }}) as views,
        cast(favorite as {{ dbt.type_bigint() }}) as saves,
        cast(dt as date) as partition_date

    from source

)

select * from renamed
