{{ config(enabled=kol_platform_enabled('x')) }}

with

source as (

    select * from {{ source('x', 'profiles') }}

),

renamed as (

    select
        'x' as platform,
        cast(id as {{ dbt.type_string() }}) as account_id,
        cast(snapshot_date as date) as snapshot_date,
        cast(username as {{ dbt.type_string() }}) as handle,
        cast(followers_count as {{ dbt.type_bigint() }}) as followers,
        cast(following_count as {{ dbt.type_bigint() }}) as following,
        cast(tweet_count as {{ dbt.type_bigint() }}) as posts_count,
        cast(verified as {{ dbt.type_boolean() }}) as is_verified,
        created_at as account_created_at,
        cast(dt as date) as partition_date

    from source

)

select * from renamed
