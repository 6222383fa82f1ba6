{#-
    The niche of each landed post row (int_posts grain: a post landed on several days has a
    row per day, all with the same text and so the same niche; readers deduplicate after
    filtering on partition_date, which keeps their reads to their window).
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

),

account_snapshots as (

    select
        account_key,
        snapshot_date,
        handle

    from {{ ref('int_account_snapshots') }}

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
        on {{ kol_regexp_matches('post_texts.match_text', kol_keyword_pattern('niche_keywords.keyword', false)) }}
        or {{ kol_regexp_matches('post_texts.match_text', kol_keyword_pattern('niche_keywords.keyword', true)) }}

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
