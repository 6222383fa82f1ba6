"""The demo world on its own: deterministic, one day at a time, and true to the founding article."""
from datetime import date, datetime, timedelta, timezone
from statistics import mean, median

import pytest

from ingestion.demo import world as world_module
from ingestion.demo.world import PLATFORMS, PRESETS, REGION, World

DAY = date(2026, 11, 20)
END = datetime(2026, 11, 21, tzinfo=timezone.utc)


def test_world_is_deterministic_whatever_the_order_of_questions():
    a, b = World(seed=11), World(seed=11)
    for platform in PLATFORMS:
        kol_a, kol_b = a.kols(platform)[2], b.kols(platform)[2]
        # b is asked about a later day first: its answer for DAY must not depend on that.
        b.posts_created_on(kol_b, DAY + timedelta(days=30))
        assert a.followers_on(kol_a, DAY) == b.followers_on(kol_b, DAY)
        assert a.posts_created_on(kol_a, DAY) == b.posts_created_on(kol_b, DAY)
        post = a.posts_between(kol_a, DAY - timedelta(days=3), DAY)[0]
        assert a.comments_on(post, END) == b.comments_on(b.post(post.post_id), END)
    assert World(seed=12).kols("weibo")[2].account_id != a.kols("weibo")[2].account_id


def test_one_day_is_generated_alone_without_the_days_before_it(monkeypatch):
    """A day of 2027 costs what a day of 2025 costs: no history is simulated first."""
    made: list[date] = []
    original = World._make_posts

    def spy(self, kol, day):
        made.append(day)
        return original(self, kol, day)

    monkeypatch.setattr(World, "_make_posts", spy)
    w = World(preset="tiny")
    late = date(2027, 6, 1)
    for platform in PLATFORMS:
        for kol in w.kols(platform):
            w.followers_on(kol, late)
            w.interaction_events(platform, late) if kol.index == 0 else None
    assert made, "the day's posts were made"
    # Only the tracking window before the day is touched: never the 880 days since the epoch.
    assert min(made) >= late - timedelta(days=world_module.TRACKING_DAYS)
    assert len(w._cache) <= w._CACHE_ITEMS


def test_every_post_is_found_from_its_id_alone_on_every_platform():
    w = World(preset="tiny")
    for platform in PLATFORMS:
        for kol in w.kols(platform)[:4]:
            for post in w.posts_between(kol, DAY - timedelta(days=2), DAY):
                assert w.post(post.post_id) == post
                assert w.post(post.post_id, platform) == post
    assert w.post("12345") is None and w.post("not-an-id") is None


def test_followers_grow_by_preferential_attachment():
    """The daily gain is a share of the followers already there: big accounts gain more per day."""
    w = World(preset="medium")
    ordinary = [k for p in PLATFORMS for k in w.kols(p) if k.role is None]
    first, last = date(2025, 6, 1), date(2026, 6, 1)
    assert all(w.followers_on(k, last) > w.followers_on(k, first) for k in ordinary)
    by_size = sorted(ordinary, key=lambda k: w.followers_on(k, first))
    quarter = len(by_size) // 4
    gain = lambda k: (w.followers_on(k, last) - w.followers_on(k, first)) / 365  # noqa: E731
    assert mean(map(gain, by_size[-quarter:])) > 10 * mean(map(gain, by_size[:quarter]))


def test_most_posts_are_on_the_kols_niche_and_some_kols_are_generalists():
    w = World(preset="medium")
    shares = []
    for kol in w.kols("instagram") + w.kols("douyin"):
        posts = w.posts_between(kol, DAY - timedelta(days=60), DAY)
        shares.append(sum(p.topic == kol.niche for p in posts) / len(posts))
    assert median(shares) > 0.7
    assert min(shares) < 0.5, "a few KOLs post on many topics"


def test_eastern_kols_reply_more_and_sooner_than_western_ones_with_individual_variation():
    w = World(preset="medium")
    east = [k for p in PLATFORMS if REGION[p] == "East" for k in w.kols(p)]
    west = [k for p in PLATFORMS if REGION[p] == "West" for k in w.kols(p)]
    assert mean(k.reply_propensity for k in east) > 2 * mean(k.reply_propensity for k in west)
    assert mean(k.reply_latency_hours for k in east) < mean(k.reply_latency_hours for k in west)
    # wide individual variation: some Western KOLs answer more than some Eastern ones
    assert max(k.reply_propensity for k in west) > min(k.reply_propensity for k in east)


def _comments(w, kol, days=21):
    return [c for p in w.posts_between(kol, DAY - timedelta(days=days), DAY - timedelta(days=7))
            for c in w.comments_on(p, END)]


def test_followers_comment_with_substance_come_back_and_address_the_kol():
    w = World()
    for platform, you in (("weibo", ("你", "您")), ("instagram", ("you", "You"))):
        kol = max((k for k in w.kols(platform) if k.role is None and k.reply_propensity > 0.05),
                  key=lambda k: k.start_followers)
        comments = [c for c in _comments(w, kol) if c.kind == "follower"]
        authors = [c.author_id for c in comments]
        assert len(set(authors)) < len(authors), "repeat commenters"
        assert any(any(y in c.text for y in you) for c in comments), "comments address the KOL"
        assert any(len(c.text) > 30 for c in comments), "comments with substance"
        replies = [c for c in _comments(w, kol) if c.kind == "reply"]
        by_id = {c.comment_id: c for c in comments}
        for r in replies:
            parent = by_id[r.reply_to_id]
            assert r.author_id == kol.account_id and parent.created_at <= r.created_at


def test_retail_sway_follows_credibility():
    w = World(preset="medium")
    rows = []
    for platform in ("douyin", "tiktok"):
        for kol in w.kols(platform):
            events = [e for d in range(60) for e in w.commerce_on(kol, DAY - timedelta(days=d))]
            clicks = sum(e.clicks for e in events)
            if clicks > 100:
                rows.append((kol.credibility, sum(e.orders for e in events) / clicks))
    rows.sort()
    half = len(rows) // 2
    assert len(rows) > 10
    assert mean(r for _, r in rows[half:]) > 1.5 * mean(r for _, r in rows[:half])
    assert all(e.kind in ("sponsored_post", "live_stream") and e.gmv >= 0 for e in events)


def test_audience_samples_carry_fake_follower_signals():
    w = World()
    for platform in PLATFORMS:
        sample = w.audience_sample(w.kols(platform)[0], DAY)
        assert len(sample) == PRESETS["small"].audience_sample
        for f in sample:
            assert f.followers >= 0 and f.following >= 0 and f.posts >= 0 and f.handle and f.created_at < END


# ---------------------------------------------------------------- planted truths, checked against the answer key

@pytest.fixture(scope="module")
def truth():
    w = World()
    return w, w.ground_truth(DAY - timedelta(days=27), DAY)


def _events(truth, kind):
    return [e for e in truth["events"] if e["kind"] == kind]


def test_ground_truth_covers_every_platform_and_every_planted_kind(truth):
    _, t = truth
    kinds = {e["kind"] for e in t["events"]}
    assert kinds == {"bought_followers", "viral_post", "mass_follow_back"}
    roles = {(a["platform"], a["role"]) for a in t["accounts"]}
    for platform in PLATFORMS:
        for role in ("bought_followers", "viral_post", "engagement_pod", "bot_comments", "niche_expert",
                     "mass_follow_back"):
            assert (platform, role) in roles
        assert ((platform, "nonchalant_mega") in roles) == (REGION[platform] == "West")
        assert sum(e["platform"] == platform and e["kind"] == "bought_followers" for e in t["events"]) == 2


def test_bought_followers_jump_without_engagement_and_are_purged(truth):
    w, t = truth
    fakes, real = [], []
    for e in _events(t, "bought_followers"):
        kol, day = w.kol(e["account_id"]), date.fromisoformat(e["day"])
        before, after = w.followers_on(kol, day - timedelta(days=1)), w.followers_on(kol, day)
        assert after / before > 1.2 and e["followers_bought"] > 0.15 * before
        purged = date.fromisoformat(e["purged_on"])
        assert w.followers_on(kol, purged) < w.followers_on(kol, purged - timedelta(days=1)) - 0.8 * e["followers_bought"]
        likes = [p.final_likes for p in w.posts_between(kol, day - timedelta(days=7), day + timedelta(days=1))]
        assert max(likes) < 3 * median(likes), "no engagement follows the jump"
        sample = w.audience_sample(kol, day)
        assert any(f.is_fake for f in sample), "the sample shows bought followers"
        fakes += [f for f in sample if f.is_fake]
        real += [f for f in sample if not f.is_fake]
    # signals, not giveaways: fakes have them far more often than real followers, and not always
    no_avatar = lambda group: sum(f.avatar_url is None for f in group) / len(group)  # noqa: E731
    assert 0.95 > no_avatar(fakes) > 0.5 > 0.2 > no_avatar(real)
    assert median(f.posts for f in fakes) < median(f.posts for f in real)


def test_a_viral_post_is_backed_by_engagement(truth):
    w, t = truth
    for e in _events(t, "viral_post"):
        kol, day = w.kol(e["account_id"]), date.fromisoformat(e["day"])
        viral = w.post(e["post_id"])
        usual = median(p.final_likes for p in w.posts_between(kol, day - timedelta(days=13), day - timedelta(days=1)))
        assert viral.final_likes > 5 * usual
        assert w.followers_on(kol, day) > 1.05 * w.followers_on(kol, day - timedelta(days=1))


def test_mass_follow_back_spikes_followings_then_followers(truth):
    w, t = truth
    for e in _events(t, "mass_follow_back"):
        kol, day = w.kol(e["account_id"]), date.fromisoformat(e["day"])
        assert e["following_added"] >= 3_000
        assert w.followers_on(kol, day + timedelta(days=2)) > w.followers_on(kol, day - timedelta(days=1))
        later = date.fromisoformat(e["unfollowed_on"])
        assert w.following_on(kol, later) < w.following_on(kol, later - timedelta(days=1)) - 2_000


def test_an_engagement_pod_comments_on_every_post_of_its_ring_within_minutes(truth):
    w, t = truth
    for pod in t["engagement_pods"]:
        members = set(pod["member_account_ids"])
        for account in pod["ring_account_ids"]:
            kol = w.kol(account)
            for post in w.posts_between(kol, DAY - timedelta(days=6), DAY):
                quick = {c.author_id for c in w.comments_on(post, END)
                         if c.created_at - post.created_at < timedelta(minutes=15)}
                assert members <= quick


def test_bot_comments_are_generic_and_come_from_fake_looking_accounts(truth):
    w, t = truth
    for entry in t["bot_comments"]:
        kol = w.kol(entry["account_id"])
        comments = _comments(w, kol)
        bots = [c for c in comments if c.author_id in set(entry["bot_account_ids"])]
        assert len(bots) / len([c for c in comments if c.kind != "reply"]) > 0.4
        assert {c.post_id for c in bots} == {c.post_id for c in comments}, "every post gets its pack"
        assert all(len(c.text) <= 12 for c in bots)


def test_the_niche_expert_is_small_focused_and_engaging_and_the_mega_never_replies(truth):
    w, t = truth
    for a in t["accounts"]:
        kol = w.kol(a["account_id"])
        peers = [k for k in w.kols(kol.platform) if k.role is None]
        if a["role"] == "niche_expert":
            assert w.followers_on(kol, DAY) < 20_000 and kol.on_niche_share == 1.0
            assert kol.engagement_rate > median(k.engagement_rate for k in peers)
        if a["role"] == "nonchalant_mega":
            assert w.followers_on(kol, DAY) > 1_000_000
            assert not [c for c in _comments(w, kol) if c.kind == "reply"]


def test_interaction_records_add_up_to_the_counters():
    w = World(preset="tiny")
    events = w.interaction_events("douyin", DAY).to_pylist()
    start = datetime(DAY.year, DAY.month, DAY.day, tzinfo=timezone.utc)
    for kol in w.kols("douyin")[:5]:
        for post in w.posts_between(kol, DAY - timedelta(days=6), DAY):
            likes = sum(1 for e in events if e["post_id"] == post.post_id and e["kind"] == "like")
            c1 = w.counters(post, start + timedelta(days=1) - timedelta(microseconds=1)).likes
            c0 = w.counters(post, start - timedelta(microseconds=1)).likes
            assert likes == c1 - c0
        follows = sum(1 for e in events if e["account_id"] == kol.account_id and e["kind"] == "follow")
        unfollows = sum(1 for e in events if e["account_id"] == kol.account_id and e["kind"] == "unfollow")
        assert follows - unfollows == w.followers_on(kol, DAY) - w.followers_on(kol, DAY - timedelta(days=1))
    assert all(start <= e["event_time"] < start + timedelta(days=1) for e in events)


def test_scheduled_creators_post_at_the_same_second_so_timelines_hold_ties():
    w = World(preset="medium")
    schedulers = [k for p in PLATFORMS if p != "wechat" for k in w.kols(p) if k.scheduled_hour is not None]
    assert schedulers and len(schedulers) < 0.4 * sum(len(w.kols(p)) for p in PLATFORMS)
    ties = 0
    for kol in schedulers:
        for day in (DAY - timedelta(days=d) for d in range(10)):
            times = [p.created_at for p in w.posts_created_on(kol, day) if p.media_type != "LIVE"]
            assert len(set(times)) <= 1 and all(t.hour == kol.scheduled_hour for t in times)
            ties += len(times) > 1
    assert ties, "several posts share one second"
    for kol in schedulers[:5]:
        assert len({p.post_id for p in w.posts_between(kol, DAY - timedelta(days=9), DAY)}) == \
            len(w.posts_between(kol, DAY - timedelta(days=9), DAY)), "ids stay unique"
