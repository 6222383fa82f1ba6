{{ config(materialized='incremental',
          unique_key=['post_key', 'partition_date'], pre_hook="{{ kol_delete_window('partition_date') }}",
          incremental_strategy=('insert_overwrite' if target.type == 'spark' else 'delete+insert'),
          partition_by=(['partition_date'] if target.type == 'spark' else none),
          file_format=('parquet' if target.type == 'spark' else none)) }}

{#-
    The niche of each landed post row (int_posts grain: a post landed on several days has a
    row per day, all with the same text and so the same niche; readers deduplicate after
    filtering on partition_date, which keeps their reads to their window).

    Incremental on partition_date, not a view: a row's niche depends only on its own post and
    that day's handle, and matching every post against every keyword is the costliest work of
    the project. As a view it was redone by each reader and each of its tests over the whole
    lake (bench/warehouse.py's profile: 7 of the 10 slowest nodes of a build); stored, a night
    classifies the window's posts only. It is built with the models that are rebuilt whole
    (dim_kol reads it), in the run's first dbt invocation.
-#}

with

posts as (

    select
        post_key,
        account_key,
        platform,
        region,
        account_id,
        published_date,
        post_text,
        partition_date

    from {{ ref('int_posts') }}
    {% if is_incremental() -%}
    where {{ kol_in_window('partition_date') }}
    {%- endif %}

),

account_snapshots as (

    select
        account_key,
        snapshot_date,
        handle

    from {{ ref('int_account_snapshots') }}
    {% if is_incremental() -%}
    where {{ kol_in_window('snapshot_date') }}
    {%- endif %}

),

niche_keywords as (

    select * from {{ ref('niche_keywords') }}

),

-- The creator's own name says nothing about a post's subject ("美食作家" writing on tech),
-- so the handle of the day the post was landed is blanked out before matching.
post_texts as (

    select
        posts.post_key,
        posts.partition_date,
        case
            when account_snapshots.handle is null or account_snapshots.handle = '' then lower(posts.post_text)
            else replace(lower(posts.post_text), lower(account_snapshots.handle), ' ')
        end as match_text

    from posts
    left join account_snapshots
        on account_snapshots.account_key = posts.account_key
        and account_snapshots.snapshot_date = posts.partition_date
    where posts.post_text is not null

),

keyword_hits as (

    select
        post_texts.post_key,
        post_texts.partition_date,
        niche_keywords.niche,
        {{ kol_regexp_matches('post_texts.match_text', kol_keyword_pattern('niche_keywords.keyword', true)) }}
            as is_hashtag_hit

    from post_texts
    inner join niche_keywords
        -- A keyword is literal, so a text that does not contain it cannot match either pattern:
        -- the cheap substring test first leaves the regular expressions a few pairs to try
        -- instead of every post with every keyword (the profile's costliest step).
        on {{ kol_contains('post_texts.match_text', 'niche_keywords.keyword') }}
        and (
            {{ kol_regexp_matches('post_texts.match_text', kol_keyword_pattern('niche_keywords.keyword', false)) }}
            or {{ kol_regexp_matches('post_texts.match_text', kol_keyword_pattern('niche_keywords.keyword', true)) }}
        )

),

niche_hits as (

    select
        post_key,
        partition_date,
        niche,
        sum(case when is_hashtag_hit then 1 else 0 end) as hashtag_hits,
        count(*) as keyword_hits

    from keyword_hits
    group by post_key, partition_date, niche

),

-- Hashtags are the creator's own label and outrank words of the text; within the winning
-- kind, the niche with the most keywords wins, and a tie leaves the post unclassified.
ranked_niches as (

    select
        niche_hits.*,
        case when max(hashtag_hits) over (partition by post_key, partition_date) > 0
            then 'hashtag' else 'text' end as evidence,
        case when max(hashtag_hits) over (partition by post_key, partition_date) > 0
            then hashtag_hits else keyword_hits end as evidence_hits

    from niche_hits

),

post_niche as (

    select
        post_key,
        partition_date,
        max(evidence) as niche_evidence,
        max(case when is_top then niche end) as niche,
        sum(case when is_top then 1 else 0 end) as top_niches

    from (
        select
            ranked_niches.*,
            evidence_hits = max(evidence_hits) over (partition by post_key, partition_date) as is_top
        from ranked_niches
        where evidence = 'text' or hashtag_hits > 0
    ) as candidates
    group by post_key, partition_date

),

final as (

    select
        posts.post_key,
        posts.account_key,
        posts.platform,
        posts.region,
        posts.account_id,
        posts.published_date,
        case when post_niche.top_niches = 1 then post_niche.niche end as niche,
        case
            when post_niche.post_key is null then 'none'
            when post_niche.top_niches > 1 then 'ambiguous'
            else post_niche.niche_evidence
        end as niche_evidence,
        posts.partition_date

    from posts
    left join post_niche
        on post_niche.post_key = posts.post_key
        and post_niche.partition_date = posts.partition_date

)

select * from final
