{{ config(unique_key=['account_key', 'date_day'], enabled=kol_platform_enabled('wechat')) }}

{#-
    One row per WeChat official account and snapshot day in [min_date, max_date]: GSData's
    WeChat Communication Index (v14.2) over the trailing wci_window_days days. The articles
    counted are those pushed in the window, each with its latest counters as of the day,
    so the lookback is the window itself (d - 1 days before min_date): every article pushed
    in it has its counters read on days in it.
-#}
{%- set wci_days = var('wci_window_days') | int -%}
{%- if wci_days < 1 -%}
    {{ exceptions.raise_compiler_error("var wci_window_days must be >= 1, got " ~ wci_days) }}
{%- endif -%}
{%- set lookback = wci_days - 1 -%}
{%- set dimension_weights = var('wci_dimension_weights') -%}
{%- for name in ['overall', 'average', 'headline', 'peak'] -%}
    {%- if name not in dimension_weights -%}
        {{ exceptions.raise_compiler_error("var wci_dimension_weights lacks '" ~ name ~ "'") }}
    {%- endif -%}
{%- endfor -%}

with

account_snapshots as (

    select account_key, platform, region, account_id, snapshot_date
    from {{ ref('int_account_snapshots') }}
    where platform = 'wechat'
        and {{ kol_in_window('partition_date', lookback) }}

),

-- WeChat's datacube: views are an article's reads (int_page_read_count), shares its forwards
article_counters as (

    select post_key, account_key, post_id, snapshot_date, views, shares
    from {{ ref('int_post_metrics_daily') }}
    where platform = 'wechat'
        and {{ kol_in_window('partition_date', lookback) }}

),

-- an article lands in the first slice that sees it, never before its push day
articles as (

    select post_key, min(published_date) as published_date
    from {{ ref('int_posts') }}
    where platform = 'wechat'
        and {{ kol_in_window('partition_date', lookback) }}
    group by post_key

),

article_stats as (

    select
        article_counters.*,
        articles.published_date,
        -- msgid is "<msg_data_id>_<n>", n the article's place in its push from 1: the
        -- headline (头条) is the first
        {{ dbt.right('article_counters.post_id', 2) }} = '_1' as is_headline

    from article_counters
    inner join articles
        on articles.post_key = article_counters.post_key

),

-- likes (点赞数) come only from the dashboard export dropped in the inbox
exported_counters as (

    select post_id, snapshot_date, likes, landed_file
    from {{ ref('stg_files__post_metrics') }}
    where platform = 'wechat'
        and {{ kol_in_window('partition_date', lookback) }}

),

-- one export copy per article and day: the one with the most likes (running totals only grow)
exported_likes as (

    select post_id, snapshot_date, likes
    from (
        select
            exported_counters.*,
            row_number() over (
                partition by post_id, snapshot_date
                order by coalesce(likes, -1) desc, landed_file desc
            ) as copy_rank
        from exported_counters
        where likes is not null
    ) as ranked
    where copy_rank = 1

),

window_days as (

    select * from account_snapshots
    where {{ kol_in_window('snapshot_date') }}

),

-- each day's articles: pushed within the window ending on the day, read as of the day
articles_as_of_day as (

    select
        window_days.account_key,
        window_days.snapshot_date as date_day,
        article_stats.post_id,
        article_stats.is_headline,
        article_stats.views as reads,
        article_stats.shares as forwards,
        row_number() over (
            partition by window_days.account_key, window_days.snapshot_date, article_stats.post_id
            order by article_stats.snapshot_date desc
        ) as reading_rank

    from window_days
    inner join article_stats
        on article_stats.account_key = window_days.account_key
        and article_stats.snapshot_date <= window_days.snapshot_date
        and {{ kol_in_trailing_window('article_stats.published_date', 'window_days.snapshot_date', lookback) }}

),

likes_as_of_day as (

    select
        articles_as_of_day.account_key,
        articles_as_of_day.date_day,
        articles_as_of_day.post_id,
        exported_likes.likes,
        row_number() over (
            partition by articles_as_of_day.account_key, articles_as_of_day.date_day, articles_as_of_day.post_id
            order by exported_likes.snapshot_date desc
        ) as reading_rank

    from articles_as_of_day
    inner join exported_likes
        on exported_likes.post_id = articles_as_of_day.post_id
        and exported_likes.snapshot_date <= articles_as_of_day.date_day
    where articles_as_of_day.reading_rank = 1

),

counted_articles as (

    select
        articles_as_of_day.account_key,
        articles_as_of_day.date_day,
        articles_as_of_day.post_id,
        articles_as_of_day.is_headline,
        coalesce(articles_as_of_day.reads, 0) as reads,
        -- no source in the lake counts 在看 (Wow): 0, flagged in unavailable_inputs
        0 as wows,
        likes_as_of_day.likes,
        coalesce(articles_as_of_day.forwards, 0) as forwards

    from articles_as_of_day
    left join likes_as_of_day
        on likes_as_of_day.account_key = articles_as_of_day.account_key
        and likes_as_of_day.date_day = articles_as_of_day.date_day
        and likes_as_of_day.post_id = articles_as_of_day.post_id
        and likes_as_of_day.reading_rank = 1
    where articles_as_of_day.reading_rank = 1

),

window_totals as (

    select
        account_key,
        date_day,
        count(*) as articles,
        sum(case when is_headline then 1 else 0 end) as headline_articles,
        count(likes) as articles_with_likes,
        {%- for input in ['reads', 'wows', 'likes', 'forwards'] %}
        sum({{ input }}) as {{ input }}_total,
        sum(case when is_headline then {{ input }} else 0 end) as headline_{{ input }}_total,
        max({{ input }}) as {{ input }}_max{{ ',' if not loop.last }}
        {%- endfor %}

    from counted_articles
    group by account_key, date_day

),

snapshot_days as (

    select
        window_days.account_key,
        window_days.snapshot_date as date_day,
        count(*) as snapshot_days_in_window

    from window_days
    inner join account_snapshots as earlier
        on earlier.account_key = window_days.account_key
        and {{ kol_in_trailing_window('earlier.snapshot_date', 'window_days.snapshot_date', lookback) }}

    group by window_days.account_key, window_days.snapshot_date

),

inputs as (

    select
        window_days.account_key,
        window_days.platform,
        window_days.region,
        window_days.account_id,
        window_days.snapshot_date as date_day,
        {{ kol_add_days('window_days.snapshot_date', -lookback) }} as window_start_date,
        {{ wci_days }} as window_days,
        snapshot_days.snapshot_days_in_window,
        cast(coalesce(window_totals.articles, 0) as {{ dbt.type_bigint() }}) as articles,
        cast(coalesce(window_totals.headline_articles, 0) as {{ dbt.type_bigint() }}) as headline_articles,
        cast(coalesce(window_totals.articles_with_likes, 0) as {{ dbt.type_bigint() }}) as articles_with_likes,
        {%- for input in ['reads', 'wows', 'likes', 'forwards'] %}
        cast(coalesce(window_totals.{{ input }}_total, 0) as {{ dbt.type_bigint() }}) as {{ input }}_total,
        cast(coalesce(window_totals.headline_{{ input }}_total, 0) as {{ dbt.type_bigint() }}) as headline_{{ input }}_total,
        cast(coalesce(window_totals.{{ input }}_max, 0) as {{ dbt.type_bigint() }}) as {{ input }}_max{{ ',' if not loop.last }}
        {%- endfor %}

    from window_days
    left join window_totals
        on window_totals.account_key = window_days.account_key
        and window_totals.date_day = window_days.snapshot_date
    left join snapshot_days
        on snapshot_days.account_key = window_days.account_key
        and snapshot_days.date_day = window_days.snapshot_date

),

-- O: totals per day; A: totals per article (0 without an article); H: headline articles'
-- totals per day; P: single-article maxima
dimensions as (

    select
        inputs.*,
        {%- set per_day = '(cast({0} as ' ~ kol_type_double() ~ ') / window_days)' %}
        {%- set per_article = 'coalesce(' ~ kol_safe_divide('{0}', 'articles') ~ ', 0)' %}
        {{ kol_wci_dimension(
            per_day|replace('{0}', 'reads_total'), per_day|replace('{0}', 'wows_total'),
            per_day|replace('{0}', 'likes_total'), per_day|replace('{0}', 'forwards_total')) }} as overall_index,
        {{ kol_wci_dimension(
            per_article|replace('{0}', 'reads_total'), per_article|replace('{0}', 'wows_total'),
            per_article|replace('{0}', 'likes_total'), per_article|replace('{0}', 'forwards_total')) }} as average_index,
        {{ kol_wci_dimension(
            per_day|replace('{0}', 'headline_reads_total'), per_day|replace('{0}', 'headline_wows_total'),
            per_day|replace('{0}', 'headline_likes_total'), per_day|replace('{0}', 'headline_forwards_total')) }} as headline_index,
        {{ kol_wci_dimension('reads_max', 'wows_max', 'likes_max', 'forwards_max') }} as peak_index

    from inputs

),

final as (

    select
        account_key,
        platform,
        region,
        account_id,
        date_day,
        window_start_date,
        window_days,
        snapshot_days_in_window,
        articles,
        headline_articles,
        reads_total,
        wows_total,
        likes_total,
        forwards_total,
        headline_reads_total,
        headline_wows_total,
        headline_likes_total,
        headline_forwards_total,
        reads_max,
        wows_max,
        likes_max,
        forwards_max,
        articles_with_likes,
        false as is_wows_available,
        articles_with_likes = articles as is_likes_complete,
        case
            when articles_with_likes < articles then 'wows,likes'
            else 'wows'
        end as unavailable_inputs,
        round(overall_index, 6) as overall_index,
        round(average_index, 6) as average_index,
        round(headline_index, 6) as headline_index,
        round(peak_index, 6) as peak_index,
        round(
            (
                {{ dimension_weights['overall'] }} * overall_index
                + {{ dimension_weights['average'] }} * average_index
                + {{ dimension_weights['headline'] }} * headline_index
                + {{ dimension_weights['peak'] }} * peak_index
            ) * (
                {{ dimension_weights['overall'] }} * overall_index
                + {{ dimension_weights['average'] }} * average_index
                + {{ dimension_weights['headline'] }} * headline_index
                + {{ dimension_weights['peak'] }} * peak_index
            ) * {{ var('wci_scale') }},
            2
        ) as wci

    from dimensions

)

select * from final
