{{ config(enabled=kol_platform_enabled('xiaohongshu')) }}

with

source as (

    select * from {{ source('xiaohongshu', 'post_metrics') }}

),

renamed as (

    select
        'xiaohongshu' as platform,
        cast(note_id as {{ dbt.type_string() }}) as post_id,
        cast(user_id as {{ dbt.type_string() }}) as account_id,
        cast(snapshot_date as date) as snapshot_date,
        cast(liked_count as {{ dbt.type_bigint() }}) as likes,
        cast(comment_count as {{ dbt.type_bigint() }}) as comments,
        cast(share_count as {{ dbt.type_bigint() }}) as shares,
        -- notes carry no view counter; collects are the saves
        cast(null as {{ dbt.type_bigint() }}) as views,
        cast(collected_count as {{ dbt.type_bigint() }}) as saves,
        cast(dt as date) as partition_date

    from source

)

select * from renamed
