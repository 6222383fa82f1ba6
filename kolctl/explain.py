"""Why an account scored what it did on a day: each component's value, subscore, percentile
among its platform and tier, weight and points, the inputs behind the value, and the rule
that turned the value into a subscore (docs/methodology.md, "The KOL credibility score")."""
from __future__ import annotations

from datetime import date
from typing import Any

from kolctl import settings
from kolctl.warehouse import COMPONENTS, CREDIBILITY, Account, KolError, describe_dates, handle_as_of

TITLES = {
    "reach_momentum": "reach & momentum",
    "community_engagement": "community engagement",
    "reciprocity": "reciprocity (talking and listening)",
    "expertise_focus": "expertise focus",
    "retail_sway": "retail sway",
    "authenticity": "authenticity",
}

VALUE_MEANING = {
    "reach_momentum": "28-day follower growth",
    "community_engagement": "engagement rate of the latest posts",
    "reciprocity": "reply rate to follower comments",
    "expertise_focus": "share of classified posts in the dominant niche",
    "retail_sway": "conversion (orders / clicks) of sponsored posts",
    "authenticity": "weakest of growth, audience and comment authenticity",
}


def _var(name: str, fallback: str = "") -> str:
    value = settings.dbt_vars().get(name)
    return f"{name} ({value})" if value is not None else (name + fallback)


def rule(component: str, row: dict[str, Any]) -> str:
    """The subscore rule in one line, with the project's thresholds."""
    if component == "reach_momentum":
        return f"subscore = growth / {_var('reach_full_points_growth_28d')}, clamped to [0, 1]: no credit for losing followers"
    if component == "community_engagement":
        ref = row.get("engagement_rate_reference")
        ref_text = f"{ref:.2%}" if ref is not None else "?"
        return (f"subscore = ER / (tier {row.get('tier')} reference ER {ref_text} x "
                f"{_var('engagement_full_points_multiple')}), clamped: the tier median earns half")
    if component == "reciprocity":
        return f"subscore = reply rate / {_var('reciprocity_full_points_reply_rate')}, clamped to [0, 1]"
    if component == "expertise_focus":
        return (f"subscore = (share - {_var('expertise_share_zero_points')}) / "
                f"({_var('expertise_share_full_points')} - zero-points share), clamped")
    if component == "retail_sway":
        return f"subscore = conversion / {_var('retail_full_points_conversion_rate')}, clamped; unknown without a click"
    return ("subscore = the value: min of growth (1 - suspicious days / "
            f"{_var('suspicious_growth_days_for_zero_points')}), audience (real share, "
            f"{_var('audience_real_share_zero_points')} .. {_var('audience_real_share_full_points')}) "
            "and comment authenticity, each in [0, 1]")


def _pct(v) -> str:
    return "–" if v is None else f"{float(v):.1%}"


def _num(v, digits: int = 2) -> str:
    return "–" if v is None else f"{float(v):,.{digits}f}"


def _int(v) -> str:
    return "–" if v is None else f"{int(v):,}"


def inputs(component: str, row: dict[str, Any]) -> str:
    """The figures behind the component's value, in words."""
    if component == "reach_momentum":
        if row.get("followers_28d_ago") is None:
            return f"followers {_int(row['followers'])}; none 28 days before (less history): growth unknown"
        return (f"followers {_int(row['followers'])}, 28 days before {_int(row['followers_28d_ago'])}: "
                f"growth {_pct(row['follower_growth_28d'])}")
    if component == "community_engagement":
        return (f"engagement rate of the latest posts {_pct(row['engagement_rate_latest_posts'])}; "
                f"{row['tier']} tier reference {_pct(row['engagement_rate_reference'])}")
    if component == "reciprocity":
        latency = row.get("median_reply_latency_hours")
        return (f"{_int(row['follower_comments_trailing'])} follower comments, "
                f"{_int(row.get('creator_replies'))} creator replies in the window: reply rate "
                f"{_pct(row['reply_rate_trailing'])}; median reply latency "
                f"{'–' if latency is None else f'{float(latency):.1f} h'}")
    if component == "expertise_focus":
        return (f"niche {row['niche'] or '–'}: {_pct(row['expertise_focus_value'])} of "
                f"{_int(row['expertise_classified_posts'])} classified posts")
    if component == "retail_sway":
        return (f"{_int(row['commerce_orders_trailing'])} orders from {_int(row['commerce_clicks_trailing'])} "
                f"clicks on sponsored posts and live streams")
    return (f"growth {_num(row['growth_authenticity'])} ({_int(row['suspicious_growth_days_trailing'])} suspicious "
            f"growth days, {_int(row['following_spike_days_trailing'])} following-spike days); "
            f"audience {_num(row['audience_authenticity'])} ({_pct(row['audience_real_share_trailing'])} real of "
            f"{_int(row['audience_sampled_trailing'])} sampled); comments {_num(row['comment_authenticity'])} "
            f"({_pct(row['suspicious_comment_share_trailing'])} suspicious of "
            f"{_int(row['authenticity_follower_comments_trailing'])} follower comments)")


def explain(con, account: Account, day: date) -> dict[str, Any]:
    """The explanation as plain data (``kol explain --format json`` prints it as is)."""
    cursor = con.execute(f"""
        select c.*, {handle_as_of(con)} as handle_that_day, f.followers_28d_ago,
               r.creator_replies, r.median_reply_latency_hours
        from {CREDIBILITY} as c
        left join dim_kol as k on k.account_key = c.account_key
        left join fct_followers_daily as f on f.account_key = c.account_key and f.date_day = c.date_day
        left join fct_reciprocity_daily as r on r.account_key = c.account_key and r.date_day = c.date_day
        where c.account_key = ? and c.date_day = ?""", [account.account_key, day])
    found = cursor.fetchone()
    if found is None:
        days = [d for (d,) in con.execute(f"select date_day from {CREDIBILITY} where account_key = ? order by 1",
                                          [account.account_key]).fetchall()]
        raise KolError(f"{account.platform}:{account.handle} has no credibility row on {day}"
                       + (f": it has {describe_dates(days)}" if days else ""),
                       f"Pick one of its days with --date, e.g. --date {days[-1]}." if days else
                       "It has no day in the credibility mart yet.")
    row = dict(zip([d[0] for d in cursor.description], found))
    components = []
    for c in COMPONENTS:
        known = row[f"{c}_value"] is not None
        components.append({
            "component": c,
            "title": TITLES[c],
            "value_is": VALUE_MEANING[c],
            "value": row[f"{c}_value"],
            "subscore": row[f"{c}_subscore"],
            "percentile_in_platform_tier": row[f"{c}_percentile"],
            "weight": row[f"{c}_weight"],
            "points": None if row[f"{c}_points"] is None else float(row[f"{c}_points"]),
            "known": known,
            "inputs": inputs(c, row),
            "rule": rule(c, row),
        })
    score = row["credibility_score"]
    min_known = settings.dbt_vars().get("credibility_min_known_weight", 50)
    return {
        "account_key": row["account_key"],
        "platform": row["platform"],
        "handle": row["handle_that_day"],
        "region": row["region"],
        "date": row["date_day"],
        "tier": row["tier"],
        "niche": row["niche"],
        "followers": row["followers"],
        "credibility_score": None if score is None else float(score),
        "credibility_percentile_in_platform_tier": row["credibility_percentile_in_platform_tier"],
        "known_weight": row["known_weight"],
        "min_known_weight": min_known,
        "components": components,
        "points_rule": "points = weight x subscore x 100 / known_weight, rounded to 2 decimals; "
                       "the score is the sum of the points (unknown components are left out)",
    }
