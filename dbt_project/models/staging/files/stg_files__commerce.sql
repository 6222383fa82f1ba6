{#-
    The inbox's commerce rows. Until a commerce file is landed the lake has no folder for
    them: kol_files_source then gives the same columns with no row.
-#}

with

source as (

    select * from {{ kol_files_source('commerce', {
        'platform': dbt.type_string(),
        'account_id': dbt.type_string(),
        'post_id': dbt.type_string(),
        'kind': dbt.type_string(),
        'brand': dbt.type_string(),
        'day': 'date',
        'product_url': dbt.type_string(),
        'impressions': dbt.type_bigint(),
        'clicks': dbt.type_bigint(),
        'orders': dbt.type_bigint(),
        'gmv': 'decimal(18, 4)',
        'currency': dbt.type_string(),
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
        cast(kind as {{ dbt.type_string() }}) as commerce_kind,
        cast(brand as {{ dbt.type_string() }}) as brand,
        cast(day as date) as commerce_date,
        cast(product_url as {{ dbt.type_string() }}) as product_url,
        cast(impressions as {{ dbt.type_bigint() }}) as impressions,
        cast(clicks as {{ dbt.type_bigint() }}) as clicks,
        cast(orders as {{ dbt.type_bigint() }}) as orders,
        cast(gmv as decimal(18, 4)) as gmv,
        cast(currency as {{ dbt.type_string() }}) as currency,
        cast(_extras as {{ dbt.type_string() }}) as extras_json,
        cast(filename as {{ dbt.type_string() }}) as landed_file,
        cast(dt as date) as partition_date

    from source

)

select * from renamed
