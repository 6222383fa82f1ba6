{{ config(enabled=kol_platform_enabled('xiaohongshu')) }}

with

source as (

    select * from {{ source('xiaohongshu', 'profiles') }}

),

renamed as (

    select
        'xiaohongshu' as platform,
        cast(user_id as {{ dbt.type_string() }}) as account_id,
        cast(snapshot_date as date) as snapshot_date,
        cast(nickname as {{ dbt.type_string() }}) as handle,
        cast(fans as {{ dbt.type_bigint() }}) as followers,
        cast(follows as {{ dbt.type_bigint() }}) as following,
        -- the user page counts no notes, and says nothing of verification or registration
        cast(null as {{ dbt.type_bigint() }}) as posts_count,
        cast(null as {{ dbt.type_boolean() }}) as is_verified,
        cast(null as {{ kol_type_timestamp_tz() }}) as account_created_at,
        cast(dt as date) as partition_date

    from source

)

select * from renamed
