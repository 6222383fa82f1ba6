{{ config(enabled=kol_platform_enabled('x')) }}

with

source as (

    select * from {{ source('x', 'comments') }}

),

renamed as (

    select
        'x' as platform,
        cast(id as {{ dbt.type_string() }}) as comment_id,
        cast(conversation_id as {{ dbt.type_string() }}) as post_id,
        cast(conversation_author_id as {{ dbt.type_string() }}) as account_id,
        cast(author_id as {{ dbt.type_string() }}) as commenter_id,
        cast(username as {{ dbt.type_string() }}) as commenter_handle,
        created_at as commented_at,
        {{ kol_utc_date('created_at') }} as commented_date,
        cast(text as {{ dbt.type_string() }}) as comment_text,
        -- a direct reply answers the post itself (replied_to_id = conversation_id): no parent
        cast(nullif(replied_to_id, conversation_id) as {{ dbt.type_string() }}) as parent_comment_id,
        cast(dt as date) as partition_date

    from source

)

select * from renamed
