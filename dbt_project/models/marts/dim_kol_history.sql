{{ config(materialized='table') }}

{#-
    dim_kol through time: one row per version of an account's attributes (handle, tier),
    valid from the first snapshot day that showed it until the day the next version began.
    Derived from the landed daily snapshots rather than from a dbt snapshot, whose validity
    would follow the clock of the runs: a backfill of last month then dates last month's
    changes to last month, and a rebuild gives the same history.

    The attributes as of day D:  valid_from <= D and (valid_to is null or D < valid_to).
    Before an account's first snapshot it has no version.
-#}

with

account_snapshots as (

    select * from {{ ref('int_account_snapshots') }}

),

daily_attributes as (

    select
        account_key,
        platform,
        region,
        account_id,
        snapshot_date,
        handle,
        followers,
        {{ kol_tier('followers') }} as tier

    from account_snapshots

),

version_starts as (

    select
        daily_attributes.*,
        -- A version starts on an account's first snapshot and wherever handle or tier differs
        -- from the snapshot before (a null counts as a value: a handle that disappears is a change).
        case
            when lag(snapshot_date) over (partition by account_key order by snapshot_date) is null then 1
            when lag(handle) over (partition by account_key order by snapshot_date) is distinct from handle then 1
            when lag(tier) over (partition by account_key order by snapshot_date) is distinct from tier then 1
            else 0
        end as starts_version

    from daily_attributes

),

numbered as (

    select
        version_starts.*,
        sum(starts_version) over (
            partition by account_key
            order by snapshot_date
            rows between unbounded preceding and current row
        ) as version_number

    from version_starts

),

versions as (

    select
        account_key,
        version_number,
        min(platform) as platform,
        min(region) as region,
        min(account_id) as account_id,
        min(handle) as handle,
        min(tier) as tier,
        min(snapshot_date) as valid_from,
        max(snapshot_date) as last_seen_date,
        count(*) as snapshot_days,
        min(followers) as followers_min,
        max(followers) as followers_max

    from numbered
    group by account_key, version_number

),

final as (

    select
        account_key,
        cast(version_number as {{ dbt.type_int() }}) as version_number,
        platform,
        region,
        account_id,
        handle,
        tier,
        valid_from,
        lead(valid_from) over (partition by account_key order by version_number) as valid_to,
        last_seen_date,
        cast(snapshot_days as {{ dbt.type_bigint() }}) as snapshot_days,
        followers_min,
        followers_max,
        lead(valid_from) over (partition by account_key order by version_number) is null as is_current

    from versions

)

select * from final
