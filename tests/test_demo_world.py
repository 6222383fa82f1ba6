from datetime import date, datetime, timedelta, timezone
from statistics import mean

from ingestion.demo.world import World

DAY = date(2026, 11, 20)
END = datetime(2026, 11, 21, tzinfo=timezone.utc)


def test_world_is_deterministic_whatever_the_order_of_questions():
    a, b = World(seed=11), World(seed=11)
    kol_a, kol_b = a.kols("weibo")[2], b.kols("weibo")[2]
    # b is asked about a later day first: its answer for DAY must not depend on that.
    b.followers_on(kol_b, DAY + timedelta(days=30))
    assert a.followers_on(kol_a, DAY) == b.followers_on(kol_b, DAY)
    assert a.posts_created_on(kol_a, DAY) == b.posts_created_on(kol_b, DAY)
    assert World(seed=12).kols("weibo")[2].account_id != kol_a.account_id


def test_followers_grow_by_preferential_attachment():
    w = World()
    for kol in w.kols("instagram"):
        start, later = w.followers_on(kol, date(2025, 6, 1)), w.followers_on(kol, date(2026, 6, 1))
        assert later > start  # popularity feeds itself


def test_eastern_kols_reply_more_and_sooner_than_western_ones():
    w = World()
    east, west = w.kols("weibo"), w.kols("instagram")
    assert mean(k.reply_propensity for k in east) > 2 * mean(k.reply_propensity for k in west)
    assert mean(k.reply_latency_hours for k in east) < mean(k.reply_latency_hours for k in west)


def test_replies_point_at_an_earlier_follower_comment_on_the_same_post():
    w = World()
    kol = w.kols("weibo")[0]
    comments = [c for p in w.posts_between(kol, DAY - timedelta(days=3), DAY) for c in w.comments_on(p, END)]
    by_id = {c.comment_id: c for c in comments}
    replies = [c for c in comments if c.reply_to_id]
    assert replies, "an Eastern KOL with this seed answers some comments"
    for r in replies:
        parent = by_id[r.reply_to_id]
        assert r.author_id == kol.account_id and parent.author_id != kol.account_id
        assert parent.post_id == r.post_id and parent.created_at <= r.created_at


def test_planted_bought_followers_jump_without_engagement():
    w = World()
    kol = next(k for k in w.kols("weibo") if k.buys_followers_phase is not None)
    day = next(DAY + timedelta(days=i) for i in range(14) if kol.buys_followers_on(DAY + timedelta(days=i)))
    before, after = w.followers_on(kol, day - timedelta(days=1)), w.followers_on(kol, day)
    assert after / before > 1.25
    fakes = [f for f in w.audience_sample(kol, day + timedelta(days=1)) if f.is_fake]
    assert fakes and all(f.avatar_url is None and f.following > 1_000 for f in fakes)
