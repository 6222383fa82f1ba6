{{ config(enabled=kol_platform_enabled('instagram')) }}

with

source as (

    select * from {{ source('instagram', 'comments') }}

),

renamed as (

    select
        'instagram' as platform,
        cast(id as {{ dbt.type_string() }}) as comment_id,
        cast(media_id as {{ dbt.type_string() }}) as post_id,
        cast(media_owner_id as {{ dbt.type_string() }}) as account_id,
        cast(from_id as {{ dbt.type_string() }}) as commenter_id,
        cast(username as {{ dbt.type_string() }}) as commenter_handle,
        {{ adapter.quote('timestamp') }} as commented_at,
        {{ kol_utc_date(adapter.quote('timestamp')) }} as commented_date,
        cast(text as {{ dbt.type_string() }}) as comment_text,
        cast(parent_id as {{ dbt.type_string() }}) as parent_comment_id,
        cast(dt as date) as partition_date

    from source

)

select * from renamed
