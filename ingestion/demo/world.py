"""A deterministic, seeded simulation of KOLs and their followers.

The world answers "what did platform P show about account A at the end of day D?"
for any day, always with the same answer: every random draw is keyed by
(seed, what, account, day), never by the order of questions, so the export API
can serve days in any order, from any number of threads, and a re-run sees the
same world.

What it models, after the founding article (shared/seed-article.txt):
- followers grow by preferential attachment: each day's new followers are a
  share of the followers already there ("popularity feeds itself");
- each KOL has a niche, a posting rhythm and an engagement level;
- interaction styles are parameters: Eastern KOLs reply to follower comments
  more often and sooner than Western ones, with wide individual variation;
- followers comment with substance, come back as repeat commenters and address
  the KOL directly ("you", 你);
- planted truths that the marts must find: one account per platform buys
  followers on a known day (a jump that engagement does not back), and one has
  a genuine viral post (a jump that engagement does back).
"""
from __future__ import annotations

import hashlib
import math
import random
import threading
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

WORLD_EPOCH = date(2025, 1, 1)  # accounts exist from here on
TRACKING_DAYS = 7  # a post's counters are exported while it is younger than this
MAX_COMMENTS_PER_POST = 40  # the export lists at most this many comments per post
AUDIENCE_POOL = 160  # follower profiles known per account
AUDIENCE_SAMPLE = 20  # follower profiles in one day's audience sample
PLANT_PERIOD = 14  # days between two occurrences of a planted event
PURGE_AFTER_DAYS = 5  # bought followers are removed by the platform this many days later

NICHES = ("beauty", "fashion", "food", "travel", "tech", "gaming", "finance", "parenting")
REGION = {"weibo": "East", "instagram": "West"}

_HANDLE_STEMS = {
    "weibo": ["小鹿", "阿紫", "美妆达人", "吃货", "旅行家", "科技宅", "游戏王", "理财君", "宝妈", "穿搭"],
    "instagram": ["glow", "stylist", "foodie", "wander", "techie", "gamer", "money", "mama", "chic", "daily"],
}

_COMMENT_TEXT = {
    "weibo": {
        "substance": [
            "你上次推荐的{n}我用了两周，效果真的很明显，想问下敏感肌能不能用？",
            "看了你的视频我去试了，{n}这个方法太实用了，求出一期进阶版",
            "您好，想请教一下{n}的新手怎么入门比较好？",
            "这期内容比上期更细致，尤其是{n}那部分讲得很清楚",
        ],
        "short": ["好看", "支持", "第一", "哈哈哈哈", "赞", "冲"],
        "reply": ["谢谢支持！", "好问题，下期详细讲{n}", "敏感肌建议先小面积试用哦", "收到，已经在准备了"],
    },
    "instagram": {
        "substance": [
            "I tried your {n} tip last week and it actually worked, do you have a version for beginners?",
            "You explained the {n} part so clearly, could you do a follow-up on budget options?",
            "Love how honest you are about {n}, most people just push products",
            "Saved this! Which {n} brand do you use yourself?",
        ],
        "short": ["nice", "wow", "🔥🔥", "love it", "❤️", "cool"],
        "reply": ["thank you!", "great question, more on {n} soon", "glad it helped!", "🙏"],
    },
}


def _seed_of(*parts: object) -> int:
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def _rng(*parts: object) -> random.Random:
    return random.Random(_seed_of(*parts))


def _day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=timezone.utc)


@dataclass(frozen=True)
class Kol:
    platform: str
    account_id: str
    handle: str
    niche: str
    region: str
    start_followers: int
    following: int
    growth_rate: float  # mean daily share of new followers (preferential attachment)
    posts_per_day: float
    engagement_rate: float  # likes per follower per post, at maturity
    comment_ratio: float  # comments per like
    reply_propensity: float  # chance the KOL answers a follower comment
    reply_latency_hours: float  # mean delay of an answer
    # Planted truths recur every PLANT_PERIOD days, so any two-week window holds one.
    buys_followers_phase: int | None = None  # planted: followers bought on these days
    viral_phase: int | None = None  # planted: a genuinely viral post on these days

    def buys_followers_on(self, day: date) -> bool:
        return self.buys_followers_phase is not None and (day - WORLD_EPOCH).days % PLANT_PERIOD == self.buys_followers_phase

    def goes_viral_on(self, day: date) -> bool:
        return self.viral_phase is not None and (day - WORLD_EPOCH).days % PLANT_PERIOD == self.viral_phase

    def first_purchase(self) -> date | None:
        return None if self.buys_followers_phase is None else WORLD_EPOCH + timedelta(days=self.buys_followers_phase)


@dataclass(frozen=True)
class Follower:
    platform: str
    account_id: str
    handle: str
    followers: int
    following: int
    posts: int
    avatar_url: str | None
    bio: str
    created_at: datetime
    is_fake: bool


@dataclass(frozen=True)
class Post:
    platform: str
    post_id: str
    account_id: str
    created_at: datetime
    text: str
    media_type: str
    final_likes: int
    final_comments: int
    final_shares: int


@dataclass(frozen=True)
class Comment:
    platform: str
    comment_id: str
    post_id: str
    post_author_id: str
    author: Follower | None  # None: the KOL itself
    author_id: str
    author_handle: str
    created_at: datetime
    text: str
    reply_to_id: str | None


def _time_ordered_id(ts: datetime, *salt: object) -> int:
    """Ids that sort like time, as Weibo's and Instagram's do, so max_id paging works."""
    return int(ts.timestamp()) * 1_000_000 + _seed_of("id", *salt) % 1_000_000


@dataclass
class World:
    seed: int = 7
    kols_per_platform: int = 12
    _follower_cache: dict = field(default_factory=dict, repr=False)
    _post_cache: dict = field(default_factory=dict, repr=False)
    _post_index: dict = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        self._kols = {p: self._make_kols(p) for p in REGION}
        self._by_id = {k.account_id: k for ks in self._kols.values() for k in ks}

    # -- the cast ---------------------------------------------------------
    def _make_kols(self, platform: str) -> list[Kol]:
        east = REGION[platform] == "East"
        kols = []
        for i in range(self.kols_per_platform):
            r = _rng(self.seed, "kol", platform, i)
            stem = _HANDLE_STEMS[platform][i % len(_HANDLE_STEMS[platform])]
            handle = f"{stem}{i:02d}" if platform == "weibo" else f"{stem}.{i:02d}"
            if platform == "weibo":
                account_id = str(1_000_000_000 + _seed_of(self.seed, platform, i) % 8_999_999_999)
            else:
                account_id = str(17_841_400_000_000_000 + _seed_of(self.seed, platform, i) % 99_999_999_999)
            start = int(math.exp(r.uniform(math.log(3_000), math.log(2_000_000))))
            kols.append(
                Kol(
                    platform=platform,
                    account_id=account_id,
                    handle=handle,
                    niche=NICHES[r.randrange(len(NICHES))],
                    region=REGION[platform],
                    start_followers=start,
                    following=int(r.uniform(50, 1200)),
                    growth_rate=r.uniform(0.0002, 0.0015),
                    posts_per_day=r.uniform(0.5, 2.0),
                    engagement_rate=r.uniform(0.01, 0.06) * (3_000 / start) ** 0.15,
                    comment_ratio=r.uniform(0.05, 0.12) if east else r.uniform(0.01, 0.05),
                    # The article's thesis, with individual variation around it.
                    reply_propensity=min(0.95, max(0.0, r.gauss(0.45 if east else 0.12, 0.15))),
                    reply_latency_hours=r.uniform(0.5, 6.0) if east else r.uniform(6.0, 48.0),
                    buys_followers_phase=3 if i == 3 else None,
                    viral_phase=9 if i == 5 else None,
                )
            )
        return kols

    def kols(self, platform: str) -> list[Kol]:
        return list(self._kols[platform])

    def kol(self, account_id: str) -> Kol | None:
        return self._by_id.get(account_id)

    # -- followers ----------------------------------------------------------
    def followers_on(self, kol: Kol, day: date) -> int:
        """Followers at the end of ``day``: yesterday's, plus a share of them."""
        if day < WORLD_EPOCH:
            return 0
        n = (day - WORLD_EPOCH).days
        with self._lock:
            series = self._follower_cache.setdefault(kol.account_id, [kol.start_followers])
            while len(series) <= n:
                d = WORLD_EPOCH + timedelta(days=len(series))
                prev = series[-1]
                r = _rng(self.seed, "growth", kol.account_id, d.isoformat())
                gained = prev * kol.growth_rate * r.lognormvariate(0.0, 0.5)
                lost = prev * 0.0004 * r.random()
                if kol.goes_viral_on(d):
                    gained += prev * 0.07  # earned: backed by the viral post's engagement
                if kol.buys_followers_on(d):
                    gained += prev * 0.25  # bought: nothing in engagement backs it
                purchase = d - timedelta(days=PURGE_AFTER_DAYS)
                if kol.buys_followers_on(purchase) and purchase > WORLD_EPOCH:
                    # The platform purges the fakes a few days later, as real ones do.
                    lost += series[(purchase - WORLD_EPOCH).days - 1] * 0.25
                series.append(max(0, int(round(prev + gained - lost))))
            return series[n]

    def following_on(self, kol: Kol, day: date) -> int:
        return kol.following + (day - WORLD_EPOCH).days // 30

    # -- posts --------------------------------------------------------------
    def posts_created_on(self, kol: Kol, day: date) -> list[Post]:
        key = ("posts", kol.account_id, day)
        with self._lock:
            cached = self._post_cache.get(key)
        if cached is None:
            cached = self._make_posts(kol, day)
            with self._lock:
                self._post_cache[key] = cached
                self._post_index.update((p.post_id, p) for p in cached)
        return list(cached)

    def post(self, post_id: str) -> Post | None:
        """A post already served by ``posts_created_on`` (the export API lists before it details)."""
        with self._lock:
            return self._post_index.get(post_id)

    def _make_posts(self, kol: Kol, day: date) -> list[Post]:
        if day < WORLD_EPOCH:
            return []
        r = _rng(self.seed, "posts", kol.account_id, day.isoformat())
        count = _poisson(r, kol.posts_per_day)
        if kol.goes_viral_on(day):
            count = max(count, 1)
        followers = self.followers_on(kol, day - timedelta(days=1))
        posts = []
        for i in range(count):
            created = _day_start(day) + timedelta(seconds=r.randrange(86_400))
            pid = _time_ordered_id(created, self.seed, kol.account_id, day.isoformat(), i)
            if kol.platform == "instagram":
                pid = 17_000_000_000_000_000 + pid % 999_999_999_999_999
            likes = followers * kol.engagement_rate * r.lognormvariate(0.0, 0.35)
            if kol.goes_viral_on(day) and i == 0:
                likes *= 12
            comments = likes * kol.comment_ratio * r.lognormvariate(0.0, 0.3)
            shares = likes * r.uniform(0.02, 0.08)
            topic = kol.niche if r.random() < 0.85 else NICHES[r.randrange(len(NICHES))]
            posts.append(
                Post(
                    platform=kol.platform,
                    post_id=str(pid),
                    account_id=kol.account_id,
                    created_at=created,
                    text=f"#{topic}# {kol.handle} {day.isoformat()} {i}",
                    media_type="VIDEO" if r.random() < 0.4 else "IMAGE",
                    final_likes=int(likes),
                    final_comments=int(comments),
                    final_shares=int(shares),
                )
            )
        return sorted(posts, key=lambda p: p.created_at)

    def posts_between(self, kol: Kol, first: date, last: date) -> list[Post]:
        out: list[Post] = []
        d = first
        while d <= last:
            out.extend(self.posts_created_on(kol, d))
            d += timedelta(days=1)
        return out

    @staticmethod
    def share_done(post: Post, as_of: datetime) -> float:
        """How much of a post's final engagement has happened by ``as_of``."""
        hours = (as_of - post.created_at).total_seconds() / 3600
        return 0.0 if hours <= 0 else 1.0 - math.exp(-hours / 18.0)

    def counters(self, post: Post, as_of: datetime) -> tuple[int, int, int]:
        f = self.share_done(post, as_of)
        return int(post.final_likes * f), int(post.final_comments * f), int(post.final_shares * f)

    # -- comments -----------------------------------------------------------
    def comments_on(self, post: Post, as_of: datetime) -> list[Comment]:
        """Follower comments and the KOL's replies that exist at ``as_of``, oldest first."""
        key = ("comments", post.post_id)
        with self._lock:
            every = self._post_cache.get(key)
        if every is None:
            every = self._make_comments(post)
            with self._lock:
                self._post_cache[key] = every
        return [c for c in every if c.created_at <= as_of]

    def _make_comments(self, post: Post) -> list[Comment]:
        kol = self._by_id[post.account_id]
        r = _rng(self.seed, "comments", post.post_id)
        pool = self.audience_pool(kol)
        # Repeat commenters: a Zipf-like pick from the pool favours a loyal core.
        weights = [1.0 / (rank + 1) for rank in range(len(pool))]
        texts = _COMMENT_TEXT[kol.platform]
        out: list[Comment] = []
        for i in range(min(post.final_comments, MAX_COMMENTS_PER_POST)):
            # Comment times follow the same decay as the counters.
            delay_h = -18.0 * math.log(1.0 - r.random() * 0.999)
            created = post.created_at + timedelta(seconds=int(delay_h * 3600))
            author = r.choices(pool, weights=weights)[0]
            substantive = r.random() < (0.55 if kol.region == "East" else 0.3)
            template = r.choice(texts["substance"] if substantive else texts["short"])
            cid = str(_time_ordered_id(created, "c", post.post_id, i))
            comment = Comment(
                platform=kol.platform,
                comment_id=cid,
                post_id=post.post_id,
                post_author_id=kol.account_id,
                author=author,
                author_id=author.account_id,
                author_handle=author.handle,
                created_at=created,
                text=template.format(n=kol.niche),
                reply_to_id=None,
            )
            out.append(comment)
            if r.random() < kol.reply_propensity:
                replied = created + timedelta(seconds=int(3600 * r.expovariate(1.0 / kol.reply_latency_hours)))
                out.append(
                    Comment(
                        platform=kol.platform,
                        comment_id=str(_time_ordered_id(replied, "r", post.post_id, i)),
                        post_id=post.post_id,
                        post_author_id=kol.account_id,
                        author=None,
                        author_id=kol.account_id,
                        author_handle=kol.handle,
                        created_at=replied,
                        text=r.choice(texts["reply"]).format(n=kol.niche),
                        reply_to_id=cid,
                    )
                )
        return sorted(out, key=lambda c: (c.created_at, c.comment_id))

    # -- audience -----------------------------------------------------------
    def audience_pool(self, kol: Kol) -> list[Follower]:
        key = ("pool", kol.account_id)
        with self._lock:
            cached = self._follower_cache.get(key)
        if cached is not None:
            return cached
        pool = [self._follower(kol, i, fake=False) for i in range(AUDIENCE_POOL)]
        if kol.buys_followers_phase is not None:
            pool += [self._follower(kol, AUDIENCE_POOL + i, fake=True) for i in range(AUDIENCE_POOL // 2)]
        with self._lock:
            self._follower_cache[key] = pool
        return pool

    def _follower(self, kol: Kol, i: int, fake: bool) -> Follower:
        r = _rng(self.seed, "follower", kol.account_id, i)
        base = 1_500_000_000 if kol.platform == "weibo" else 9_000_000_000
        fid = str(base + _seed_of(self.seed, "fid", kol.account_id, i) % 999_999_999)
        handle = (f"用户{fid[-7:]}" if kol.platform == "weibo" else f"user_{fid[-7:]}")
        if fake:
            created = _day_start(kol.first_purchase()) - timedelta(days=r.randrange(1, 20))
            return Follower(kol.platform, fid, handle, r.randrange(0, 5), r.randrange(1_800, 6_000),
                            r.randrange(0, 3), None, "", created, True)
        created = _day_start(WORLD_EPOCH) - timedelta(days=r.randrange(30, 3_000))
        avatar = None if r.random() < 0.08 else f"https://img.example/{kol.platform}/{fid}.jpg"
        bio = "" if r.random() < 0.2 else f"{kol.niche} lover · {r.randrange(18, 60)}"
        return Follower(kol.platform, fid, handle, int(r.lognormvariate(5.0, 1.5)), int(r.lognormvariate(5.5, 0.8)),
                        int(r.lognormvariate(4.0, 1.2)), avatar, bio, created, False)

    def audience_sample(self, kol: Kol, day: date) -> list[Follower]:
        pool = self.audience_pool(kol)
        if kol.buys_followers_phase is None or day < kol.first_purchase():
            pool = [f for f in pool if not f.is_fake]
        r = _rng(self.seed, "sample", kol.account_id, day.isoformat())
        return r.sample(pool, min(AUDIENCE_SAMPLE, len(pool)))


def _poisson(r: random.Random, lam: float) -> int:
    # Knuth's method: fine for the small rates of a posting rhythm.
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= r.random()
        if p <= limit:
            return k
        k += 1


_DEFAULT: World | None = None


def default_world() -> World:
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = World()
    return _DEFAULT
