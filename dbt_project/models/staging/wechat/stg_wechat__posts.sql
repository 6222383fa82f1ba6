{{ config(enabled=kol_platform_enabled('wechat')) }}

with

source as (

    select * from {{ source('wechat', 'posts') }}

),

renamed as (

    select
        'wechat' as platform,
        cast(msgid as {{ dbt.type_string() }}) as post_id,
        cast(original_id as {{ dbt.type_string() }}) as account_id,
        -- WeChat gives an article's push day only, no publication time
        cast(null as {{ kol_type_timestamp_tz() }}) as published_at,
        cast(ref_date as date) as published_date,
        cast(title as {{ dbt.type_string() }}) as post_text,
        cast(null as {{ dbt.type_string() }}) as media_type,
        cast(msg_data_id as {{ dbt.type_string() }}) as wechat_msg_data_id,
        cast({{ adapter.quote('index') }} as {{ dbt.type_int() }}) as wechat_article_index,
        cast(dt as date) as partition_date

    from source

)

select * from renamed
