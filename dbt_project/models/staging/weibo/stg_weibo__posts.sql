{{ config(enabled=kol_platform_enabled('weibo')) }}

with

source as (

    select * from {{ source('weibo', 'posts') }}

),

renamed as (

    select
        'weibo' as platform,
        cast(id as {{ dbt.type_string() }}) as post_id,
        cast(user_id as {{ dbt.type_string() }}) as account_id,
        created_at as published_at,
        {{ kol_utc_date('created_at') }} as published_date,
        cast(text as {{ dbt.type_string() }}) as post_text,
        cast(null as {{ dbt.type_string() }}) as media_type,
        cast(mid as {{ dbt.type_string() }}) as weibo_mid,
        cast(source as {{ dbt.type_string() }}) as weibo_client_source,
        cast(is_long_text as {{ dbt.type_boolean() }}) as is_long_text,
        cast(pic_count as {{ dbt.type_int() }}) as picture_count,
        cast(dt as date) as partition_date

    from source

)

select * from renamed
