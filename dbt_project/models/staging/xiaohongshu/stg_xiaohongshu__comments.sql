{{ config(enabled=kol_platform_enabled('xiaohongshu')) }}

with

source as (

    select * from {{ source('xiaohongshu', 'comments') }}

),

renamed as (

    select
        'xiaohongshu' as platform,
        cast(id as {{ dbt.type_string() }}) as comment_id,
        cast(note_id as {{ dbt.type_string() }}) as post_id,
        cast(note_user_id as {{ dbt.type_string() }}) as account_id,
        cast(user_id as {{ dbt.type_string() }}) as commenter_id,
        cast(nickname as {{ dbt.type_string() }}) as commenter_handle,
        create_time as commented_at,
        {{ kol_utc_date('create_time') }} as commented_date,
        cast(content as {{ dbt.type_string() }}) as comment_text,
        cast(target_comment_id as {{ dbt.type_string() }}) as parent_comment_id,
        cast(dt as date) as partition_date

    from source

)

select * from renamed
