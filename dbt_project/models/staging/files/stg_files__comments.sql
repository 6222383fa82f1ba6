{#-
    The inbox's comments (unified comments files, e.g. a platform's bulk comment export),
    renamed to the columns of the platforms' comment staging models. Until a comments file is
    landed the lake has no folder for them: kol_files_source then gives the same columns with
    no row.
-#}

with

source as (

    select * from {{ kol_files_source('comments', {
        'platform': dbt.type_string(),
        'account_id': dbt.type_string(),
        'post_id': dbt.type_string(),
        'comment_id': dbt.type_string(),
        'commenter_id': dbt.type_string(),
        'commenter_handle': dbt.type_string(),
        'commenter_handle_length': 'integer',
        'commenter_handle_digit_count': 'integer',
        'commented_at': kol_type_timestamp_tz(),
        'comment_text': dbt.type_string(),
        'parent_comment_id': dbt.type_string(),
        '_extras': dbt.type_string(),
        '_loaded_at': kol_type_timestamp_tz(),
        'dt': 'date',
        'filename': dbt.type_string(),
    }) }}

),

renamed as (

    select
        cast(platform as {{ dbt.type_string() }}) as platform,
        cast(comment_id as {{ dbt.type_string() }}) as comment_id,
        cast(post_id as {{ dbt.type_string() }}) as post_id,
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        cast(commenter_id as {{ dbt.type_string() }}) as commenter_id,
        cast(commenter_handle as {{ dbt.type_string() }}) as commenter_handle,
        cast(commenter_handle_length as integer) as commenter_handle_length,
        cast(commenter_handle_digit_count as integer) as commenter_handle_digit_count,
        commented_at,
        {{ kol_utc_date('commented_at') }} as commented_date,
        cast(comment_text as {{ dbt.type_string() }}) as comment_text,
        cast(parent_comment_id as {{ dbt.type_string() }}) as parent_comment_id,
        cast(_extras as {{ dbt.type_string() }}) as extras_json,
        cast(filename as {{ dbt.type_string() }}) as landed_file,
        _loaded_at as loaded_at,
        cast(dt as date) as partition_date

    from source

)

select * from renamed
