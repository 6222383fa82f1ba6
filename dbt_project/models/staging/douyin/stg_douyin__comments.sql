{{ config(enabled=kol_platform_enabled('douyin')) }}

with

source as (

    select * from {{ source('douyin', 'comments') }}

),

renamed as (

    select
        'douyin' as platform,
        cast(comment_id as {{ dbt.type_string() }}) as comment_id,
        cast(item_id as {{ dbt.type_string() }}) as post_id,
        cast(open_id as {{ dbt.type_string() }}) as account_id,
        cast(comment_user_id as {{ dbt.type_string() }}) as commenter_id,
        -- Douyin names commenters by open id only
        cast(null as {{ dbt.type_string() }}) as commenter_handle,
        create_time as commented_at,
        {{ kol_utc_date('create_time') }} as commented_date,
        cast(content as {{ dbt.type_string() }}) as comment_text,
        cast(reply_to_comment_id as {{ dbt.type_string() }}) as parent_comment_id,
        cast(dt as date) as partition_date

    from source

)

select * from renamed
