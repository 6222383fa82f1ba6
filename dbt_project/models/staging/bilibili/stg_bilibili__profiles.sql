{{ config(enabled=kol_platform_enabled('bilibili')) }}

with

source as (

    select * from {{ source('bilibili', 'profiles') }}

),

renamed as (

    select
        'bilibili' as platform,
        cast(mid as {{ dbt.type_string() }}) as account_id,
        cast(snapshot_date as date) as snapshot_date,
        cast(name as {{ dbt.type_string() }}) as handle,
        cast(follower as {{ dbt.type_bigint() }}) as followers,
        cast(attention as {{ dbt.type_bigint() }}) as following,
        -- videos only: column articles (article_count) are not posts here
        cast(archive_count as {{ dbt.type_bigint() }}) as posts_count,
        -- the card as landed carries neither verification nor registration time
        cast(null as {{ dbt.type_boolean() }}) as is_verified,
        cast(null as {{ kol_type_timestamp_tz() }}) as account_created_at,
        cast(dt as date) as partition_date

    from source

)

select * from renamed
