{{ config(enabled=kol_platform_enabled('wechat')) }}

with

source as (

    select * from {{ source('wechat', 'profiles') }}

),

renamed as (

    select
        'wechat' as platform,
        cast(original_id as {{ dbt.type_string() }}) as account_id,
        cast(snapshot_date as date) as snapshot_date,
        cast(nickname as {{ dbt.type_string() }}) as handle,
        cast(cumulate_user as {{ dbt.type_bigint() }}) as followers,
        -- an official account follows no one, and WeChat serves no post count for it
        cast(null as {{ dbt.type_bigint() }}) as following,
        cast(null as {{ dbt.type_bigint() }}) as posts_count,
        cast(qualification_verify as {{ dbt.type_boolean() }}) as is_verified,
        -- getaccountbasicinfo gives no registration time
        cast(null as {{ kol_type_timestamp_tz() }}) as account_created_at,
        cast(dt as date) as partition_date

    from source

)

select * from renamed
