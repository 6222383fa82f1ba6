{{ config(enabled=kol_platform_enabled('x')) }}

with

source as (

    select * from {{ source('x', 'posts') }}

),

renamed as (

    select
        'x' as platform,
        cast(id as {{ dbt.type_string() }}) as post_id,
        cast(author_id as {{ dbt.type_string() }}) as account_id,
        created_at as published_at,
        {{ kol_utc_date('created_at') }} as published_date,
        cast(text as {{ dbt.type_string() }}) as post_text,
        -- the post says how many media it carries, not of which type
        cast(null as {{ dbt.type_string() }}) as media_type,
        cast(lang as {{ dbt.type_string() }}) as lang,
        cast(media_count as {{ dbt.type_int() }}) as media_count,
        cast(dt as date) as partition_date

    from source

)

select * from renamed
