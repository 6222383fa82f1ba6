{{ config(enabled=kol_platform_enabled('tiktok')) }}

with

source as (

    select * from {{ source('tiktok', 'profiles') }}

),

renamed as (

    select
        'tiktok' as platform,
        cast(open_id as {{ dbt.type_string() }}) as account_id,
        cast(snapshot_date as date) as snapshot_date,
        cast(username as {{ dbt.type_string() }}) as handle,
        cast(follower_count as {{ dbt.type_bigint() }}) as followers,
        cast(following_count as {{ dbt.type_bigint() }}) as following,
        cast(video_count as {{ dbt.type_bigint() }}) as posts_count,
        cast(is_verified as {{ dbt.type_boolean() }}) as is_verified,
        -- user/info exposes no registration time
        cast(null as {{ kol_type_timestamp_tz() }}) as account_created_at,
        cast(dt as date) as partition_date

    from source

)

select * from renamed
