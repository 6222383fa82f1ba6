{{ config(enabled=kol_platform_enabled('weibo')) }}

with

source as (

    select * from {{ source('weibo', 'comments') }}

),

renamed as (

    select
        'weibo' as platform,
        cast(id as {{ dbt.type_string() }}) as comment_id,
        cast(status_id as {{ dbt.type_string() }}) as post_id,
        cast(status_user_id as {{ dbt.type_string() }}) as account_id,
        cast(user_id as {{ dbt.type_string() }}) as commenter_id,
        cast(screen_name as {{ dbt.type_string() }}) as commenter_handle,
        created_at as commented_at,
        {{ kol_utc_date('created_at') }} as commented_date,
        cast(text as {{ dbt.type_string() }}) as comment_text,
        cast(reply_comment_id as {{ dbt.type_string() }}) as parent_comment_id,
        cast(dt as date) as partition_date

    from source

)

select * from renamed
