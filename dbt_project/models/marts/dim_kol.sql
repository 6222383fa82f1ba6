{{ config(materialized='table') }}

{#-
    One row per tracked account, from every snapshot ever landed (not incremental: it is
    built before the daily marts, which test their account_key against it). Its niche is
    that of its posts over the var expertise_window_days up to its latest snapshot, the
    same rule as fct_kol_niche_daily; its person comes from the seed kol_identity_links.
-#}
{%- set window_days = var('expertise_window_days') | int -%}

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

post_niche_rows as (

    select
        post_key,
        account_key,
        published_date,
        niche,
        partition_date

    from {{ ref('int_post_niches') }}
    -- posts older than the window of the lake's latest day cannot count: not read at all
    where partition_date > (
        select {{ kol_add_days('max(snapshot_date)', -(window_days + 7)) }} from account_snapshots
    )

),

identity_links as (

    select * from {{ ref('kol_identity_links') }}

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

current_accounts as (

    select
        latest_snapshot.*,
        snapshot_span.first_snapshot_date,
        snapshot_span.last_snapshot_date,
        snapshot_span.snapshot_days

    from latest_snapshot
    inner join snapshot_span
        on snapshot_span.account_key = latest_snapshot.account_key
    where latest_snapshot.recency_rank = 1

),

window_posts as (

    select distinct
        post_niche_rows.account_key,
        post_niche_rows.post_key,
        post_niche_rows.niche

    from post_niche_rows
    inner join current_accounts
        on current_accounts.account_key = post_niche_rows.account_key
        and post_niche_rows.published_date <= current_accounts.last_snapshot_date
        and post_niche_rows.published_date
            > {{ kol_add_days('current_accounts.last_snapshot_date', -window_days) }}

),

niche_counts as (

    select
        account_key,
        niche,
        count(*) as niche_posts,
        sum(count(*)) over (partition by account_key) as classified_posts,
        row_number() over (partition by account_key order by count(*) desc, niche) as niche_rank

    from window_posts
    where niche is not null
    group by account_key, niche

),

account_identities as (

    select
        current_accounts.account_key,
        coalesce(identity_links.kol_identity, current_accounts.account_key) as kol_identity,
        identity_links.kol_identity is not null as is_linked_identity

    from current_accounts
    left join identity_links
        on identity_links.platform = current_accounts.platform
        and identity_links.handle = current_accounts.handle

),

identity_sizes as (

    select
        kol_identity,
        count(*) as kol_identity_accounts

    from account_identities
    group by kol_identity

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
        niche_counts.niche,
        {{ kol_safe_divide('niche_counts.niche_posts', 'niche_counts.classified_posts') }} as niche_share,
        account_identities.kol_identity,
        account_identities.is_linked_identity,
        identity_sizes.kol_identity_accounts,
        latest_snapshot.first_snapshot_date,
        latest_snapshot.last_snapshot_date,
        latest_snapshot.snapshot_days

    from current_accounts as latest_snapshot
    left join niche_counts
        on niche_counts.account_key = latest_snapshot.account_key
        and niche_counts.niche_rank = 1
    inner join account_identities
        on account_identities.account_key = latest_snapshot.account_key
    inner join identity_sizes
        on identity_sizes.kol_identity = account_identities.kol_identity

)

select * from final
