-- Question: who are the most credible KOLs of each platform, niche and tier?
--
-- How to read the answer: one row per KOL among the best `top_n` of its (platform, niche,
-- tier) group on the as-of day, best first. `credibility_score` is 0-100, the sum of six
-- components' points (docs/methodology.md, "The KOL credibility score"); `known_weight` below
-- 100 means some components were unknown and the others were scaled up, so a score built on
-- 60 known points rests on less evidence than one built on 100. `percentile_in_platform_tier`
-- (0 lowest, 1 highest) places the KOL among all its platform-and-tier peers, whatever their
-- niche; `peers` counts the scored accounts of the group. Compare KOLs within a tier, never
-- across tiers. Change the as-of day or `top_n` in `params`.
with params as (
    select (select max(date_day) from fct_kol_credibility_daily) as as_of,
           3 as top_n
)
select c.platform,
       coalesce(c.niche, 'unclassified') as niche,
       c.tier,
       row_number() over w as rank_in_group,
       count(*) over (partition by c.platform, coalesce(c.niche, 'unclassified'), c.tier) as peers,
       k.handle,
       c.followers,
       c.credibility_score,
       c.known_weight,
       round(c.credibility_percentile_in_platform_tier, 2) as percentile_in_platform_tier,
       c.community_engagement_points,
       c.reciprocity_points,
       c.authenticity_points,
       c.account_key
from fct_kol_credibility_daily as c
join params on c.date_day = params.as_of
join dim_kol as k using (account_key)
where c.credibility_score is not null
window w as (partition by c.platform, coalesce(c.niche, 'unclassified'), c.tier order by c.credibility_score desc, c.account_key)
qualify rank_in_group <= (select top_n from params)
order by c.platform, niche, c.tier, rank_in_group;
