{{ config(enabled=kol_platform_enabled('weibo')) }}

with

source as (

    select * from {{ source('weibo', 'profiles') }}

),

renamed as (

    select
        'weibo' as platform,
        cast(user_id as {{ dbt.type_string() }}) as account_id,
        cast(snapshot_date as date) as snapshot_date,
        cast(screen_name as {{ dbt.type_string() }}) as handle,
        cast(followers_count as {{ dbt.type_bigint() }}) as followers,
        cast(friends_count as {{ dbt.type_bigint() }}) as following,
        cast(statuses_count as {{ dbt.type_bigint() }}) as posts_count,
        cast(verified as {{ dbt.type_boolean() }}) as is_verified,
        created_at as account_created_at,
        cast(dt as date) as partition_date

    from source

)

select * from renamed
