{{ config(enabled=kol_platform_enabled('douyin')) }}

with

source as (

    select * from {{ source('douyin', 'profiles') }}

),

renamed as (

    select
        'douyin' as platform,
        cast(open_id as {{ dbt.type_string() }}) as account_id,
        cast(snapshot_date as date) as snapshot_date,
        cast(nickname as {{ dbt.type_string() }}) as handle,
        -- the open platform's own follower number (follower_count is a demo addition)
        cast(total_fans as {{ dbt.type_bigint() }}) as followers,
        cast(following_count as {{ dbt.type_bigint() }}) as following,
        cast(aweme_count as {{ dbt.type_bigint() }}) as posts_count,
        -- the open platform exposes neither verification nor registration time
        cast(null as {{ dbt.type_boolean() }}) as is_verified,
        cast(null as {{ kol_type_timestamp_tz() }}) as account_created_at,
        cast(dt as date) as partition_date

    from source

)

select * from renamed
