{{ config(unique_key=['post_key', 'date_day']) }}

{#-
    One row per sponsored post or live stream and commerce day (its publication day) in
    [min_date, max_date]: what it sold, its conversion, GMV per thousand followers of the
    author that day and, where a CPM is set for the platform, its estimated media value.
    No lookback: a commerce record, the author's followers and the post's text are all of
    the same day (posts are landed on their publication day).
-#}
{%- set cpm_by_platform = var('commerce_cpm_by_platform') -%}

with

commerce_events as (

    select * from {{ ref('int_commerce_events') }}
    where {{ kol_in_window('partition_date') }}

),

followers_daily as (

    select account_key, date_day, followers
    from {{ ref('fct_followers_daily') }}
    where {{ kol_in_window('date_day') }}

),

posts as (

    select post_key, post_text
    from {{ ref('int_posts') }}
    where {{ kol_in_window('partition_date') }}

),

-- a post is in the window's posts once; a re-landed copy would not add a second text
brand_marked_posts as (

    select
        post_key,
        max(case when {{ kol_matches_any('post_text', var('commerce_sponsored_text_patterns')) }} then 1 else 0 end) = 1
            as is_brand_marked

    from posts
    group by post_key

),

rated as (

    select
        commerce_events.*,
        followers_daily.followers,
        coalesce(brand_marked_posts.is_brand_marked, false) as is_brand_marked,
        {{ kol_platform_lookup('commerce_events.platform', cpm_by_platform, field='cpm') }} as cpm,
        {{ kol_platform_lookup('commerce_events.platform', cpm_by_platform, field='currency', quote=true,
                               null_type=dbt.type_string()) }} as cpm_currency

    from commerce_events
    left join followers_daily
        on followers_daily.account_key = commerce_events.account_key
        and followers_daily.date_day = commerce_events.commerce_date
    left join brand_marked_posts
        on brand_marked_posts.post_key = commerce_events.post_key

),

final as (

    select
        post_key,
        account_key,
        platform,
        region,
        post_id,
        account_id,
        commerce_date as date_day,
        commerce_kind,
        brand,
        is_brand_marked,
        impressions,
        clicks,
        orders,
        cast(gmv as {{ kol_type_double() }}) as gmv,
        currency,
        {{ kol_safe_divide('clicks', 'impressions') }} as click_through_rate,
        {{ kol_safe_divide('orders', 'clicks') }} as conversion_rate,
        {{ kol_safe_divide('gmv', 'orders') }} as average_order_value,
        followers,
        1000 * {{ kol_safe_divide('gmv', 'followers') }} as gmv_per_thousand_followers,
        cpm,
        cpm_currency,
        cpm * impressions / 1000.0 as estimated_media_value,
        landed_copies

    from rated

)

select * from final
