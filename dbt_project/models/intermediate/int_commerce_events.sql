{#-
    One row per sponsored post (or live stream) and commerce day, whichever files it came
    from. A row's partition_date is its commerce_date, so marts prune on it.
-#}

with

commerce as (

    select * from {{ ref('stg_files__commerce') }}

),

platform_regions as (

    select * from {{ ref('platform_regions') }}

),

-- the same post and day dropped in several files (two exports overlapping, a re-export):
-- a dashboard's sales only grow, so the copy with the most clicks, orders and GMV is the
-- latest; the landed file's name breaks a tie so that the choice is stable.
-- partition_date (the file's dt folder) is the commerce day itself (the inbox partitions
-- commerce rows by `day`), so it adds nothing to the copies' key; it is there so that a
-- filter on partition_date reaches the Parquet scan through the window functions (DuckDB
-- pushes a filter only on partition keys): a mart or a test of one day reads one folder
-- instead of every commerce file ever dropped.
copies_ranked as (

    select
        commerce.*,
        count(*) over (
            partition by partition_date, platform, post_id, commerce_date
        ) as landed_copies,
        row_number() over (
            partition by partition_date, platform, post_id, commerce_date
            order by
                coalesce(clicks, -1) desc,
                coalesce(orders, -1) desc,
                coalesce(gmv, -1) desc,
                landed_file desc
        ) as copy_rank

    from commerce

),

final as (

    select
        {{ kol_make_key('copies_ranked.platform', 'copies_ranked.post_id') }} as post_key,
        {{ kol_make_key('copies_ranked.platform', 'copies_ranked.account_id') }} as account_key,
        copies_ranked.platform,
        platform_regions.region,
        copies_ranked.account_id,
        copies_ranked.post_id,
        copies_ranked.commerce_kind,
        copies_ranked.brand,
        copies_ranked.commerce_date,
        copies_ranked.product_url,
        copies_ranked.impressions,
        copies_ranked.clicks,
        copies_ranked.orders,
        copies_ranked.gmv,
        copies_ranked.currency,
        copies_ranked.landed_copies,
        copies_ranked.landed_file,
        copies_ranked.partition_date

    from copies_ranked
    left join platform_regions
        on platform_regions.platform = copies_ranked.platform
    where copies_ranked.copy_rank = 1

)

select * from final
