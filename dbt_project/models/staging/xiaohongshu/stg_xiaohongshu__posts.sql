{{ config(enabled=kol_platform_enabled('xiaohongshu')) }}

with

source as (

    select * from {{ source('xiaohongshu', 'posts') }}

),

renamed as (

    select
        'xiaohongshu' as platform,
        cast(note_id as {{ dbt.type_string() }}) as post_id,
        cast(user_id as {{ dbt.type_string() }}) as account_id,
        {{ adapter.quote('time') }} as published_at,
        {{ kol_utc_date(adapter.quote('time')) }} as published_date,
        cast({{ adapter.quote('desc') }} as {{ dbt.type_string() }}) as post_text,
        cast({{ adapter.quote('type') }} as {{ dbt.type_string() }}) as media_type,
        cast(display_title as {{ dbt.type_string() }}) as post_title,
        cast(ip_location as {{ dbt.type_string() }}) as ip_location,
        cast(dt as date) as partition_date

    from source

)

select * from renamed
