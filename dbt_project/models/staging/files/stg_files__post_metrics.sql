{#-
    The inbox's post counters (the platforms' dashboard exports, unified post_metrics
    files). Until one is landed the lake has no folder for them: kol_files_source then
    gives the same columns with no row.
-#}

with

source as (

    select * from {{ kol_files_source('post_metrics', {
        'platform': dbt.type_string(),
        'account_id': dbt.type_string(),
        'post_id': dbt.type_string(),
        'snapshot_date': 'date',
        'views': dbt.type_bigint(),
        'likes': dbt.type_bigint(),
        'comments': dbt.type_bigint(),
        'shares': dbt.type_bigint(),
        'saves': dbt.type_bigint(),
        '_extras': dbt.type_string(),
        'dt': 'date',
        'filename': dbt.type_string(),
    }) }}

),

renamed as (

    select
        cast(platform as {{ dbt.type_string() }}) as platform,
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        cast(post_id as {{ dbt.type_string() }}) as post_id,
        cast(snapshot_date as date) as snapshot_date,
        cast(views as {{ dbt.type_bigint() }}) as views,
        cast(likes as {{ dbt.type_bigint() }}) as likes,
        cast(comments as {{ dbt.type_bigint() }}) as comments,
        cast(shares as {{ dbt.type_bigint() }}) as shares,
        cast(saves as {{ dbt.type_bigint() }}) as saves,
        cast(_extras as {{ dbt.type_string() }}) as extras_json,
        cast(filename as {{ dbt.type_string() }}) as landed_file,
        cast(dt as date) as partition_date

    from source

)

select * from renamed
