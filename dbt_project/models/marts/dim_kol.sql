{{ config(materialized='table') }}

{#-
    One row per tracked account, from every snapshot ever landed (not incremental: it is
    built before the daily marts, which test their account_key against it).
-#}

with

account_snapshots as (

    select * from {{ ref('int_account_snapshots') }}

),

snapshot_span as (

    select
        account_key,
        min(snapshot_date) as first_snapshot_date,
        max(snapshot_date) as last_snapshot_date,
        count(*) as snapshot_days

    from account_snapshots
    group by account_key

),

latest_snapshot as (

    select
        account_snapshots.*,
        row_number() over (
            partition by account_key
            order by snapshot_date desc
        ) as recency_rank

    from account_snapshots

),

final as (

    select
        latest_snapshot.account_key,
        latest_snapshot.platform,
        latest_snapshot.region,
        latest_snapshot.account_id,
        latest_snapshot.handle,
        latest_snapshot.followers,
        latest_snapshot.following,
        latest_snapshot.posts_count,
        {{ kol_tier('latest_snapshot.followers') }} as tier,
        snapshot_span.first_snapshot_date,
        snapshot_span.last_snapshot_date,
        snapshot_span.snapshot_days

    from latest_snapshot
    inner join snapshot_span
        on snapshot_span.account_key = latest_snapshot.account_key
    where latest_snapshot.recency_rank = 1

)

select * from final
