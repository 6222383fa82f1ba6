{{ config(unique_key=['account_key', 'date_day']) }}

{#-
    One row per account and day in [min_date, max_date] (the days it has a snapshot or a
    commerce record): what its sponsored posts and live streams sold that day and over the
    trailing commerce_window_days, sponsored vs organic engagement of its posts of that
    window, and, where a price or a CPM is known, cost per engagement and estimated media
    value. Lookback: the trailing window (w - 1 days) for commerce and post readings; a
    post read in it may have been published up to post_tracking_window_days earlier, so
    its commerce record and text are read that much further back.
-#}
{%- set trailing_days = var('commerce_window_days') | int -%}
{%- if trailing_days < 1 -%}
    {{ exceptions.raise_compiler_error("var commerce_window_days must be >= 1, got " ~ trailing_days) }}
{%- endif -%}
{%- set trailing_lookback = trailing_days - 1 -%}
{%- set post_lookback = trailing_lookback + (var('post_tracking_window_days') | int) -%}
{%- set cpm_by_platform = var('commerce_cpm_by_platform') -%}

with

followers_daily as (

    select account_key, platform, region, account_id, date_day, followers
    from {{ ref('fct_followers_daily') }}
    where {{ kol_in_window('date_day') }}

),

account_snapshots as (

    select account_key, platform, snapshot_date, handle
    from {{ ref('int_account_snapshots') }}
    where {{ kol_in_window('partition_date') }}

),

commerce_events as (

    select * from {{ ref('int_commerce_events') }}
    where {{ kol_in_window('partition_date', post_lookback) }}

),

post_interactions as (

    select post_key, account_key, date_day, likes, comments, engagement, engagement_rate
    from {{ ref('fct_post_interactions_daily') }}
    where {{ kol_in_window('date_day', trailing_lookback) }}

),

posts as (

    select post_key, post_text
    from {{ ref('int_posts') }}
    where {{ kol_in_window('partition_date', post_lookback) }}

),

rate_card as (

    select * from {{ ref('kol_rate_card') }}

),

-- the account days ---------------------------------------------------------------------

commerce_account_days as (

    select distinct account_key, platform, region, account_id, commerce_date as date_day
    from commerce_events
    where {{ kol_in_window('commerce_date') }}

),

account_days as (

    select account_key, platform, region, account_id, date_day from followers_daily
    union
    select account_key, platform, region, account_id, date_day from commerce_account_days

),

-- sales ---------------------------------------------------------------------------------

daily_sales as (

    select
        account_key,
        commerce_date as date_day,
        count(*) as commerce_records,
        cast(sum(impressions) as {{ dbt.type_bigint() }}) as impressions,
        cast(sum(clicks) as {{ dbt.type_bigint() }}) as clicks,
        cast(sum(orders) as {{ dbt.type_bigint() }}) as orders,
        sum(gmv) as gmv,
        min(currency) as min_currency,
        max(currency) as max_currency

    from commerce_events
    group by account_key, commerce_date

),

trailing_sales as (

    select
        account_days.account_key,
        account_days.date_day,
        cast(sum(daily_sales.commerce_records) as {{ dbt.type_bigint() }}) as commerce_records_trailing,
        cast(sum(daily_sales.impressions) as {{ dbt.type_bigint() }}) as impressions_trailing,
        cast(sum(daily_sales.clicks) as {{ dbt.type_bigint() }}) as clicks_trailing,
        cast(sum(daily_sales.orders) as {{ dbt.type_bigint() }}) as orders_trailing,
        sum(daily_sales.gmv) as gmv_trailing,
        min(daily_sales.min_currency) as min_currency_trailing,
        max(daily_sales.max_currency) as max_currency_trailing

    from account_days
    inner join daily_sales
        on daily_sales.account_key = account_days.account_key
        and {{ kol_in_trailing_window('daily_sales.date_day', 'account_days.date_day', trailing_lookback) }}

    group by account_days.account_key, account_days.date_day

),

-- sponsored vs organic engagement --------------------------------------------------------

brand_marked_posts as (

    select
        post_key,
        max(case when {{ kol_matches_any('post_text', var('commerce_sponsored_text_patterns')) }} then 1 else 0 end) = 1
            as is_brand_marked

    from posts
    group by post_key

),

-- each post read within the window ending on the day, at its latest reading as of the day
window_post_readings as (

    select
        account_days.account_key,
        account_days.date_day,
        post_interactions.post_key,
        post_interactions.likes,
        post_interactions.comments,
        post_interactions.engagement_rate,
        row_number() over (
            partition by account_days.account_key, account_days.date_day, post_interactions.post_key
            order by post_interactions.date_day desc
        ) as reading_rank

    from account_days
    inner join post_interactions
        on post_interactions.account_key = account_days.account_key
        and {{ kol_in_trailing_window('post_interactions.date_day', 'account_days.date_day', trailing_lookback) }}

),

sponsored_records as (

    select post_key, min(commerce_date) as first_commerce_date
    from commerce_events
    group by post_key

),

-- sponsored as of the day: a commerce record published by then, or a disclosure marker
window_posts as (

    select
        window_post_readings.*,
        coalesce(brand_marked_posts.is_brand_marked, false)
            or sponsored_records.post_key is not null as is_sponsored

    from window_post_readings
    left join brand_marked_posts
        on brand_marked_posts.post_key = window_post_readings.post_key
    left join sponsored_records
        on sponsored_records.post_key = window_post_readings.post_key
        and sponsored_records.first_commerce_date <= window_post_readings.date_day
    where window_post_readings.reading_rank = 1

),

engagement_split as (

    select
        account_key,
        date_day,
        count(*) as posts_trailing,
        cast(sum(case when is_sponsored then 1 else 0 end) as {{ dbt.type_bigint() }}) as sponsored_posts_trailing,
        cast(sum(case when is_sponsored then 0 else 1 end) as {{ dbt.type_bigint() }}) as organic_posts_trailing,
        -- summed as exact decimals: a sum of floats depends on the order a parallel engine
        -- adds them in, and the same data would give rates that differ in the last digit
        cast(avg(case when is_sponsored then cast(engagement_rate as decimal(18, 12)) end)
            as {{ kol_type_double() }}) as sponsored_engagement_rate,
        cast(avg(case when not is_sponsored then cast(engagement_rate as decimal(18, 12)) end)
            as {{ kol_type_double() }}) as organic_engagement_rate,
        avg(cast(likes as {{ kol_type_double() }})) as average_likes_trailing,
        avg(cast(comments as {{ kol_type_double() }})) as average_comments_trailing

    from window_posts
    group by account_key, date_day

),

-- prices ---------------------------------------------------------------------------------

-- the rate-card row in force on the day for the handle the account had that day
prices as (

    select account_key, date_day, price_per_post, price_currency
    from (
        select
            account_days.account_key,
            account_days.date_day,
            cast(rate_card.price_per_post as {{ kol_type_double() }}) as price_per_post,
            rate_card.currency as price_currency,
            row_number() over (
                partition by account_days.account_key, account_days.date_day
                order by rate_card.valid_from desc
            ) as price_rank

        from account_days
        inner join account_snapshots
            on account_snapshots.account_key = account_days.account_key
            and account_snapshots.snapshot_date = account_days.date_day
        inner join rate_card
            on rate_card.platform = account_snapshots.platform
            and rate_card.handle = account_snapshots.handle
            and rate_card.valid_from <= account_days.date_day
    ) as ranked
    where price_rank = 1

),

joined as (

    select
        account_days.*,
        followers_daily.followers,
        coalesce(daily_sales.commerce_records, 0) as commerce_records,
        coalesce(daily_sales.impressions, 0) as impressions,
        coalesce(daily_sales.clicks, 0) as clicks,
        coalesce(daily_sales.orders, 0) as orders,
        -- a sum across currencies means nothing: null, and currency says 'mixed'
        case
            when daily_sales.min_currency is distinct from daily_sales.max_currency then null
            else cast(coalesce(daily_sales.gmv, 0) as {{ kol_type_double() }})
        end as gmv,
        case
            when daily_sales.min_currency is distinct from daily_sales.max_currency then 'mixed'
            else daily_sales.min_currency
        end as currency,
        coalesce(trailing_sales.commerce_records_trailing, 0) as commerce_records_trailing,
        coalesce(trailing_sales.impressions_trailing, 0) as impressions_trailing,
        coalesce(trailing_sales.clicks_trailing, 0) as clicks_trailing,
        coalesce(trailing_sales.orders_trailing, 0) as orders_trailing,
        case
            when trailing_sales.min_currency_trailing is distinct from trailing_sales.max_currency_trailing then null
            else cast(coalesce(trailing_sales.gmv_trailing, 0) as {{ kol_type_double() }})
        end as gmv_trailing,
        case
            when trailing_sales.min_currency_trailing is distinct from trailing_sales.max_currency_trailing then 'mixed'
            else trailing_sales.min_currency_trailing
        end as currency_trailing,
        coalesce(engagement_split.posts_trailing, 0) as posts_trailing,
        coalesce(engagement_split.sponsored_posts_trailing, 0) as sponsored_posts_trailing,
        coalesce(engagement_split.organic_posts_trailing, 0) as organic_posts_trailing,
        engagement_split.sponsored_engagement_rate,
        engagement_split.organic_engagement_rate,
        engagement_split.average_likes_trailing,
        engagement_split.average_comments_trailing,
        prices.price_per_post,
        prices.price_currency,
        {{ kol_platform_lookup('account_days.platform', cpm_by_platform, field='cpm') }} as cpm,
        {{ kol_platform_lookup('account_days.platform', cpm_by_platform, field='currency', quote=true,
                               null_type=dbt.type_string()) }} as cpm_currency

    from account_days
    {{- kol_left_join_daily('account_days', [
        'followers_daily',
        'daily_sales',
        'trailing_sales',
        'engagement_split',
        'prices',
    ]) }}

),

final as (

    select
        account_key,
        platform,
        region,
        account_id,
        date_day,
        followers,
        commerce_records,
        impressions,
        clicks,
        orders,
        gmv,
        currency,
        {{ kol_safe_divide('orders', 'clicks') }} as conversion_rate,
        1000 * {{ kol_safe_divide('gmv', 'followers') }} as gmv_per_thousand_followers,
        {{ trailing_days }} as commerce_window_days,
        commerce_records_trailing,
        impressions_trailing,
        clicks_trailing,
        orders_trailing,
        gmv_trailing,
        currency_trailing,
        {{ kol_safe_divide('orders_trailing', 'clicks_trailing') }} as conversion_rate_trailing,
        1000 * {{ kol_safe_divide('gmv_trailing', 'followers') }} as gmv_per_thousand_followers_trailing,
        posts_trailing,
        sponsored_posts_trailing,
        organic_posts_trailing,
        sponsored_engagement_rate,
        organic_engagement_rate,
        {{ kol_safe_divide('sponsored_engagement_rate', 'organic_engagement_rate') }}
            as sponsored_to_organic_engagement_ratio,
        average_likes_trailing,
        average_comments_trailing,
        price_per_post,
        price_currency,
        {{ kol_safe_divide('price_per_post', 'average_likes_trailing + average_comments_trailing') }}
            as cost_per_engagement,
        cpm,
        cpm_currency,
        cpm * impressions / 1000.0 as estimated_media_value,
        cpm * impressions_trailing / 1000.0 as estimated_media_value_trailing

    from joined

)

select * from final
