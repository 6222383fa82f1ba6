-- Question: which KOLs should a brand shortlist: credible, with a real audience, that sell,
-- and within budget where we know their price?
--
-- How to read the answer: the KOLs that pass every threshold in `params` on the as-of day,
-- best first. Thresholds: `credibility_score` (0-100), `audience_real_share` (share of
-- sampled followers that look like real people; Upfluence asks for 90%, Modash warns below
-- 75%) and `conversion_rate` (orders per click of the KOL's sponsored posts and live streams
-- over the trailing window). Unknown is not zero: a KOL whose conversion is unknown (no click
-- in the window) is kept while `keep_unknown_conversion` is true and says so in `evidence`;
-- set it to false to insist on proven sales.
--
-- Prices come from the team's rate card (seed dbt_project/seeds/kol_rate_card.csv, carried
-- into fct_account_commerce_daily.price_per_post). It ships empty: the project invents no
-- prices. Budgets are per currency (`budgets`): a known price above the budget of its
-- currency, or in a currency without a budget, drops the KOL; a KOL without a price is kept
-- as `ask for a quote`. `price_status` orders the list: priced KOLs within budget first
-- (cheapest engagement first: `cost_per_engagement` is the price over the average likes and
-- comments of a post), then the ones to ask, by credibility.
with params as (
    select (select max(date_day) from fct_kol_credibility_daily) as as_of,
           60.0 as min_credibility_score,
           0.85 as min_audience_real_share,
           0.02 as min_conversion_rate,
           true as keep_unknown_conversion,
           null::varchar as platform,      -- e.g. 'xiaohongshu'; null: every platform
           null::varchar as niche          -- e.g. 'beauty'; null: every niche
),
budgets (currency, max_price_per_post) as (
    values ('CNY', 20000.0), ('USD', 3000.0)
),
candidates as (
    select c.account_key, c.platform, c.region, c.tier, c.niche, c.followers, c.credibility_score,
           c.known_weight, a.real_share as audience_real_share,
           m.conversion_rate_trailing as conversion_rate, m.orders_trailing, m.gmv_trailing,
           m.currency_trailing, m.price_per_post, m.price_currency, m.cost_per_engagement
    from fct_kol_credibility_daily as c
    join params on c.date_day = params.as_of
    join fct_audience_quality_daily as a on a.account_key = c.account_key and a.date_day = c.date_day
    left join fct_account_commerce_daily as m on m.account_key = c.account_key and m.date_day = c.date_day
    where c.credibility_score >= params.min_credibility_score
      and a.real_share >= params.min_audience_real_share
      and (m.conversion_rate_trailing >= params.min_conversion_rate
           or (m.conversion_rate_trailing is null and params.keep_unknown_conversion))
      and (params.platform is null or c.platform = params.platform)
      and (params.niche is null or c.niche = params.niche)
),
priced as (
    select cand.*,
           case when cand.price_per_post is null then 'ask for a quote'
                when cand.price_per_post <= b.max_price_per_post then 'within budget'
                else 'over budget' end as price_status
    from candidates as cand
    left join budgets as b on b.currency = cand.price_currency
)
select p.platform,
       p.region,
       k.handle,
       p.tier,
       p.niche,
       p.followers,
       p.credibility_score,
       round(p.audience_real_share, 3) as audience_real_share,
       round(p.conversion_rate, 4) as conversion_rate,
       case when p.conversion_rate is null then 'no sales data in the window'
            else p.orders_trailing || ' orders in the window' end as evidence,
       p.price_status,
       p.price_per_post,
       p.price_currency,
       round(p.cost_per_engagement, 4) as cost_per_engagement,
       p.account_key
from priced as p
join dim_kol as k using (account_key)
where p.price_status <> 'over budget'
order by p.price_status = 'within budget' desc, p.cost_per_engagement nulls last,
         p.credibility_score desc, p.account_key;
