"""Comment authenticity on the demo world: a week of Weibo and Instagram landed through the real
export API, `dbt build` of fct_comment_authenticity_daily (unit tests included), then the planted
cases looked for on the last day. The demo world plants, per platform, a ring of three
`engagement_pod` KOLs whose every post the same eight accounts comment on with generic words, and
one `bot_comments` KOL that buys packs of generic or emoji-only comments from fake-looking accounts
(`ingestion/demo/world.py`, `docs/demo-world.md`)."""
import json
from datetime import date, timedelta

import duckdb
import pytest

from ingestion.demo.world import default_world
from tests.conftest import land_and_build

LAST = date(2026, 11, 24)
DAYS = 7  # a week: every KOL of the ring posts in it, so its commenters reach three accounts
FIRST = LAST - timedelta(days=DAYS - 1)
PLATFORMS = ("weibo", "instagram")
ALARM = 0.5  # var comment_suspicious_share_alarm: half is an alarm
COMMENT_ROLES = ("engagement_pod", "bot_comments")  # the roles that plant comment fraud


def _planted(platform: str) -> tuple[set[str], str, int]:
    """From the answer key: the platform's pod ring accounts, its bot_comments account (keys)
    and the number of pod members."""
    truth = default_world().ground_truth(FIRST, LAST)
    (pod,) = [p for p in truth["engagement_pods"] if p["platform"] == platform]
    (bots,) = [b for b in truth["bot_comments"] if b["platform"] == platform]
    return ({f"{platform}:{a}" for a in pod["ring_account_ids"]}, f"{platform}:{bots['account_id']}",
            len(pod["member_account_ids"]))


def _ordinary(platform: str) -> set[str]:
    """The accounts planted with no comment fraud (other planted roles, such as bought
    followers or a viral post, comment like everyone else)."""
    return {f"{platform}:{k.account_id}" for k in default_world().kols(platform) if k.role not in COMMENT_ROLES}


@pytest.fixture(scope="module")
def built(demo_api, tmp_path_factory):
    # A lake of two platforms (var kol_platforms switches the others' staging off). dim_kol is
    # built too so that the mart's relationships test runs; `buildable` leaves out the tests
    # that join the selected models to marts not built here.
    return land_and_build(tmp_path_factory.mktemp("authenticity"), PLATFORMS, LAST, DAYS,
                          ["--vars", json.dumps({"kol_platforms": list(PLATFORMS)}),
                           "--select", "+fct_comment_authenticity_daily +dim_kol", "--indirect-selection", "buildable"])


@pytest.fixture(scope="module")
def rows(built):
    warehouse, _ = built
    with duckdb.connect(str(warehouse), read_only=True) as con:
        cursor = con.execute("select * from fct_comment_authenticity_daily")
        columns = [d[0] for d in cursor.description]
        return [dict(zip(columns, row)) for row in cursor.fetchall()]


def _last_day(rows, platform: str) -> dict[str, dict]:
    return {r["account_key"]: r for r in rows if r["platform"] == platform and r["date_day"] == LAST}


def test_build_passes_with_data_and_unit_tests(built):
    _, results = built
    assert {r["status"] for r in results} <= {"success", "pass"}, [r for r in results if r["status"] not in ("success", "pass")]
    mine = [r["unique_id"] for r in results if "fct_comment_authenticity_daily" in r["unique_id"]]
    assert any(u.startswith("unit_test.") for u in mine) and any(u.startswith("test.") for u in mine), mine


def test_every_account_has_a_row_every_day(rows):
    for platform in PLATFORMS:
        for day in (FIRST + timedelta(days=i) for i in range(DAYS)):
            keys = {r["account_key"] for r in rows if r["platform"] == platform and r["date_day"] == day}
            assert keys == {f"{platform}:{k.account_id}" for k in default_world().kols(platform)}, (platform, day)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_pod_and_bought_comment_accounts_are_the_most_suspicious_of_their_platform(rows, platform):
    ring, bot, members = _planted(platform)
    day = _last_day(rows, platform)
    ranked = sorted(day.values(), key=lambda r: r["suspicious_comment_share"] or 0.0, reverse=True)
    assert {r["account_key"] for r in ranked[:len(ring) + 1]} == ring | {bot}, \
        [(r["account_key"], r["suspicious_comment_share"]) for r in ranked]
    lowest_pod = min(day[k]["suspicious_comment_share"] for k in ring)
    highest_ordinary = max(day[k]["suspicious_comment_share"] or 0.0 for k in _ordinary(platform))
    assert lowest_pod > highest_ordinary, (lowest_pod, highest_ordinary)
    # the ring signal finds exactly the pod's members, on the ring's accounts only
    for key in ring:
        assert day[key]["ring_commenters_trailing"] == members, day[key]
    assert all(r["ring_commenters_trailing"] == 0 for k, r in day.items() if k not in ring)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_ordinary_accounts_stay_below_the_alarm(rows, platform):
    ordinary = _ordinary(platform)
    for r in rows:
        if r["account_key"] in ordinary:
            assert (r["suspicious_comment_share"] or 0.0) < ALARM and r["comment_authenticity_verdict"] != "alarm", r


@pytest.mark.parametrize("platform", PLATFORMS)
def test_bot_comments_account_ranks_above_every_ordinary_account(rows, platform):
    """The bought comments are generic text from twelve accounts that write nothing else under
    every post: low-quality commenters, a second signal, so they count as suspicious."""
    _, bot, _ = _planted(platform)
    day = _last_day(rows, platform)
    highest_ordinary = max(day[k]["suspicious_comment_share"] or 0.0 for k in _ordinary(platform))
    assert day[bot]["suspicious_comment_share"] > highest_ordinary, day[bot]


@pytest.mark.parametrize("platform", PLATFORMS)
def test_bot_comments_show_as_generic_text(rows, platform):
    # what the bought comments do show: most of the account's comments are generic
    _, bot, _ = _planted(platform)
    assert _last_day(rows, platform)[bot]["generic_text_share"] >= 0.5
