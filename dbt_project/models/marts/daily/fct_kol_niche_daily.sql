{{ config(unique_key=['account_key', 'date_day']) }}

{#-
    One row per account and snapshot day in [min_date, max_date]: the niches of the posts the
    account published over the expertise_window_days up to that day (the day included), its
    dominant niche and how concentrated its content is on it (the founding article's
    "professional on one aspect"). Lookback: the window's posts were landed from their
    publication day on, so posts landed since window start minus the window are read.
-#}
{%- set window_days = var('expertise_window_days') | int -%}

with

account_days as (

    {{ kol_account_days_in_window() }}

),

post_niche_rows as (

    select
        post_key,
        account_key,
        published_date,
        niche,
        partition_date

    from {{ ref('int_post_niches') }}
    where {{ kol_in_window('partition_date', window_days) }}

),

-- a post landed on several days keeps its first landing (its text does not change)
posts as (

    select
        post_key,
        account_key,
        published_date,
        niche

    from (
        select
            post_niche_rows.*,
            row_number() over (partition by post_key order by partition_date) as landing_rank
        from post_niche_rows
    ) as ranked
    where landing_rank = 1

),

window_posts as (

    select
        account_days.account_key,
        account_days.date_day,
        posts.post_key,
        posts.niche

    from account_days
    inner join posts
        on posts.account_key = account_days.account_key
        and posts.published_date <= account_days.date_day
        and posts.published_date > {{ kol_add_days('account_days.date_day', -window_days) }}

),

niche_counts as (

    select
        account_key,
        date_day,
        niche,
        count(*) as niche_posts

    from window_posts
    where niche is not null
    group by account_key, date_day, niche

),

-- the most posted niche; a tie goes to the niche first in alphabetical order, so that the
-- answer is stable from one run to the next
dominant_niches as (

    select
        account_key,
        date_day,
        niche as dominant_niche,
        niche_posts as dominant_niche_posts

    from (
        select
            niche_counts.*,
            row_number() over (
                partition by account_key, date_day
                order by niche_posts desc, niche
            ) as niche_rank
        from niche_counts
    ) as ranked
    where niche_rank = 1

),

window_totals as (

    select
        account_key,
        date_day,
        count(*) as posts_in_window,
        count(niche) as classified_posts,
        count(distinct niche) as distinct_niches

    from window_posts
    group by account_key, date_day

),

final as (

    select
        account_days.account_key,
        account_days.platform,
        account_days.region,
        account_days.account_id,
        account_days.date_day,
        {{ window_days }} as window_days,
        coalesce(window_totals.posts_in_window, 0) as posts_in_window,
        coalesce(window_totals.classified_posts, 0) as classified_posts,
        coalesce(window_totals.distinct_niches, 0) as distinct_niches,
        dominant_niches.dominant_niche,
        coalesce(dominant_niches.dominant_niche_posts, 0) as dominant_niche_posts,
        {{ kol_safe_divide('dominant_niches.dominant_niche_posts', 'window_totals.classified_posts') }}
            as dominant_niche_share

    from account_days
    left join window_totals
        on window_totals.account_key = account_days.account_key
        and window_totals.date_day = account_days.date_day
    left join dominant_niches
        on dominant_niches.account_key = account_days.account_key
        and dominant_niches.date_day = account_days.date_day

)

select * from final
