-- Question: do Eastern KOLs (Weibo, Douyin, Xiaohongshu, Bilibili, WeChat) interact with their
-- followers more than Western ones (Instagram, TikTok, YouTube, X), as the founding article
-- claims?
--
-- How to read the answer: one row per region and platform on the as-of day, and one
-- `all platforms` row per region. `pooled_reply_rate` is all the region's KOL replies over all
-- its follower comments in the trailing window (big accounts weigh more);
-- `median_kol_reply_rate` is the typical KOL's rate (every KOL weighs the same): when the two
-- disagree, a few big accounts drive the pooled rate. `median_reply_latency_hours` is the
-- median over KOLs of each KOL's median wait for a reply: lower is faster.
-- `direct_address_share` is how often followers address the KOL as "you". A KOL without
-- follower comments in the window (or a platform that does not say who wrote a comment, so
-- that a follower's comment cannot be told from the KOL's own reply) cannot be judged: it is
-- left out, not counted as silent, and such a platform has no row.
with params as (
    select (select max(date_day) from fct_reciprocity_daily) as as_of
),
day as (
    select r.*
    from fct_reciprocity_daily as r
    join params on r.date_day = params.as_of
    where r.follower_comments > 0
)
select region,
       coalesce(platform, 'all platforms') as platform,
       count(*) as kols_with_comments,
       sum(follower_comments) as follower_comments,
       sum(creator_replies) as creator_replies,
       round(sum(creator_replies) / sum(follower_comments), 3) as pooled_reply_rate,
       round(median(reply_rate), 3) as median_kol_reply_rate,
       round(median(replied_share), 3) as median_replied_share,
       round(median(median_reply_latency_hours), 1) as median_reply_latency_hours,
       round(sum(direct_address_comments) / sum(follower_comments), 3) as direct_address_share
from day
group by grouping sets ((region), (region, platform))
order by region, platform is not null, platform;
