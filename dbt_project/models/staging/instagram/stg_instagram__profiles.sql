{{ config(enabled=kol_platform_enabled('instagram')) }}

with

source as (

    select * from {{ source('instagram', 'profiles') }}

),

renamed as (

    select
        'instagram' as platform,
        cast(id as {{ dbt.type_string() }}) as account_id,
        cast(snapshot_date as date) as snapshot_date,
        cast(username as {{ dbt.type_string() }}) as handle,
        cast(followers_count as {{ dbt.type_bigint() }}) as followers,
        cast(follows_count as {{ dbt.type_bigint() }}) as following,
        cast(media_count as {{ dbt.type_bigint() }}) as posts_count,
        -- the Graph API exposes neither verification nor registration time
        cast(null as {{ dbt.type_boolean() }}) as is_verified,
        cast(null as {{ kol_type_timestamp_tz() }}) as account_created_at,
        cast(dt as date) as partition_date

    from source

)

select * from renamed
