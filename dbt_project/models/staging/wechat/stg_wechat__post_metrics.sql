{{ config(enabled=kol_platform_enabled('wechat')) }}

with

source as (

    select * from {{ source('wechat', 'post_metrics') }}

),

renamed as (

    select
        'wechat' as platform,
        cast(msgid as {{ dbt.type_string() }}) as post_id,
        cast(original_id as {{ dbt.type_string() }}) as account_id,
        cast(snapshot_date as date) as snapshot_date,
        -- the datacube counts reads, shares and favourites, neither likes nor comments
        cast(null as {{ dbt.type_bigint() }}) as likes,
        cast(null as {{ dbt.type_bigint() }}) as comments,
        cast(share_count as {{ dbt.type_bigint() }}) as shares,
        -- an article's reads are its views, favourites its saves
        cast(int_page_read_count as {{ dbt.type_bigint() }}) as views,
        cast(add_to_fav_count as {{ dbt.type_bigint() }}) as saves,
        cast(dt as date) as partition_date

    from source

)

select * from renamed
