{{ config(enabled=kol_platform_enabled('x')) }}

with

source as (

    select * from {{ source('x', 'post_metrics') }}

),

renamed as (

    select
        'x' as platform,
        cast(id as {{ dbt.type_string() }}) as post_id,
        cast(author_id as {{ dbt.type_string() }}) as account_id,
        cast(snapshot_date as date) as snapshot_date,
        cast(like_count as {{ dbt.type_bigint() }}) as likes,
        cast(reply_count as {{ dbt.type_bigint() }}) as comments,
        cast(retweet_count as {{ dbt.type_bigint() }}) as shares,
        -- X shows impressions as a post's views; bookmarks are its saves
        cast(impression_count as {{ dbt.type_bigint() }}) as views,
        cast(bookmark_count as {{ dbt.type_bigint() }}) as saves,
        cast(dt as date) as partition_date

    from source

)

select * from renamed
