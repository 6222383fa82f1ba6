{{ config(enabled=kol_platform_enabled('bilibili')) }}

with

source as (

    select * from {{ source('bilibili', 'comments') }}

),

renamed as (

    select
        'bilibili' as platform,
        cast(rpid as {{ dbt.type_string() }}) as comment_id,
        cast(oid as {{ dbt.type_string() }}) as post_id,
        cast(upper_mid as {{ dbt.type_string() }}) as account_id,
        cast(mid as {{ dbt.type_string() }}) as commenter_id,
        cast(uname as {{ dbt.type_string() }}) as commenter_handle,
        ctime as commented_at,
        {{ kol_utc_date('ctime') }} as commented_date,
        cast(message as {{ dbt.type_string() }}) as comment_text,
        cast(parent as {{ dbt.type_string() }}) as parent_comment_id,
        cast(dt as date) as partition_date

    from source

)

select * from renamed
