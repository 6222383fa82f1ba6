{{ config(enabled=kol_platform_enabled('youtube')) }}

with

source as (

    select * from {{ source('youtube', 'profiles') }}

),

renamed as (

    select
        'youtube' as platform,
        cast(id as {{ dbt.type_string() }}) as account_id,
        cast(snapshot_date as date) as snapshot_date,
        cast({{ adapter.quote('customUrl') }} as {{ dbt.type_string() }}) as handle,
        cast({{ adapter.quote('subscriberCount') }} as {{ dbt.type_bigint() }}) as followers,
        -- channels.list gives no count of the channels a channel subscribes to
        cast(null as {{ dbt.type_bigint() }}) as following,
        cast({{ adapter.quote('videoCount') }} as {{ dbt.type_bigint() }}) as posts_count,
        -- the Data API does not expose the verification badge
        cast(null as {{ dbt.type_boolean() }}) as is_verified,
        {{ adapter.quote('publishedAt') }} as account_created_at,
        cast(dt as date) as partition_date

    from source

)

select * from renamed
