{{ config(enabled=kol_platform_enabled('douyin')) }}

with

source as (

    select * from {{ source('douyin', 'post_metrics') }}

),

renamed as (

    select
        'douyin' as platform,
        cast(item_id as {{ dbt.type_string() }}) as post_id,
        cast(open_id as {{ dbt.type_string() }}) as account_id,
        cast(snapshot_date as date) as snapshot_date,
        -- the video list's statistics, as of the end of snapshot_date (the item data's
        -- total_* describe the day before)
        cast(digg_count as {{ dbt.type_bigint() }}) as likes,
        cast(comment_count as {{ dbt.type_bigint() }}) as comments,
        cast(share_count as {{ dbt.type_bigint() }}) as shares,
        -- plays from the item data, which describe the end of the day before (T+1): the
        -- list's play_count is 0 for most videos; Douyin publishes no favourite counter
        cast(total_play as {{ dbt.type_bigint() }}) as views,
        cast(null as {{ dbt.type_bigint() }}) as saves,
        cast(dt as date) as partition_date

    from source

)

select * from renamed
