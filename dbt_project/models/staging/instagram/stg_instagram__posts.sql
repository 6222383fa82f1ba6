{{ config(enabled=kol_platform_enabled('instagram')) }}

with

source as (

    select * from {{ source('instagram', 'posts') }}

),

renamed as (

    select
        'instagram' as platform,
        cast(id as {{ dbt.type_string() }}) as post_id,
        cast(owner_id as {{ dbt.type_string() }}) as account_id,
        {{ adapter.quote('timestamp') }} as published_at,
        {{ kol_utc_date(adapter.quote('timestamp')) }} as published_date,
        cast(caption as {{ dbt.type_string() }}) as post_text,
        cast(media_type as {{ dbt.type_string() }}) as media_type,
        cast(media_product_type as {{ dbt.type_string() }}) as media_product_type,
        cast(permalink as {{ dbt.type_string() }}) as permalink,
        cast(dt as date) as partition_date

    from source

)

select * from renamed
