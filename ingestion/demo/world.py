"""A deterministic, seeded simulation of KOLs on nine platforms and their followers.

The world answers "what did platform P show about account A at the end of day D?"
for any day, always with the same answer, and without simulating the days
before D: every random draw is keyed by (seed, what, account, day), never by the
order of questions, and follower counts have a closed form. So the export API can
serve days in any order, from any number of threads, a backfill of any range needs
no history first, and one day costs what that day holds.

What it models, after the founding article (shared/seed-article.txt):
- followers grow by preferential attachment: the daily gain is a share of the
  followers already there ("popularity feeds itself"), so growth compounds;
- each KOL has a niche and posts mostly on it; a few are generalists;
- interaction styles are parameters: Eastern KOLs reply to follower comments
  more often and sooner than Western ones, with wide individual variation;
- followers comment with substance, come back as repeat commenters and address
  the KOL directly ("you", 你, 您);
- sponsored posts and live streams carry clicks, orders and GMV, and how well
  they sell depends on how credible the KOL is;
- audience samples: follower profiles with the signals fake-follower models use.

Planted truths (``World.ground_truth``) recur on known days, so every window of
two weeks holds each of them; the export API never serves the truth itself:
- ``bought_followers``: a burst of fake followers that engagement does not back,
  purged by the platform ``PURGE_AFTER_DAYS`` later;
- ``viral_post``: a genuinely viral post whose follower jump engagement backs;
- ``mass_follow_back``: an account that follows thousands to be followed back;
- ``engagement_pod``: a ring of KOLs whose posts the same accounts comment on
  within minutes, with generic words;
- ``bot_comments``: an account whose comments are partly bought (emoji, "nice");
- ``niche_expert``: a small account, one topic, a very engaged audience;
- ``nonchalant_mega``: a Western mega-influencer who never replies.
"""
from __future__ import annotations

import base64
import hashlib
import math
import os
import random
import struct
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

WORLD_EPOCH = date(2025, 1, 1)  # accounts exist from here on
TRACKING_DAYS = 7  # a post collects all its likes, comments and views within this many days
PLANT_PERIOD = 14  # days between two occurrences of a planted event
PURGE_AFTER_DAYS = 5  # bought followers are removed by the platform this many days later
ENGAGEMENT_HALF_LIFE_H = 12.0  # a post collects half its engagement in its first 12 hours

NICHES = ("beauty", "fashion", "food", "travel", "tech", "gaming", "finance", "parenting", "fitness")
PLATFORMS = ("weibo", "douyin", "xiaohongshu", "bilibili", "wechat", "instagram", "tiktok", "youtube", "x")
REGION = {p: "East" for p in PLATFORMS[:5]} | {p: "West" for p in PLATFORMS[5:]}
CURRENCY = {"East": "CNY", "West": "USD"}
# What a platform publishes: video platforms have views; WeChat articles have reads.
VIDEO_PLATFORMS = frozenset({"douyin", "bilibili", "tiktok", "youtube"})
LIVE_PLATFORMS = frozenset({"douyin", "xiaohongshu", "bilibili", "tiktok", "youtube"})

# Planted roles, by position in each platform's cast (presets have at least 12 KOLs).
ROLE_BY_INDEX = {1: "nonchalant_mega", 2: "engagement_pod", 3: "bought_followers", 4: "engagement_pod",
                 5: "viral_post", 6: "engagement_pod", 7: "niche_expert", 8: "bot_comments",
                 10: "mass_follow_back"}
PHASE = {"bought_followers": 3, "viral_post": 9, "mass_follow_back": 6}  # day of the 14-day period
POD_SIZE = 8  # accounts in an engagement pod

# People with accounts on several platforms (cast positions no planted role uses): each
# person's accounts share a niche, as a creator keeps one subject everywhere. Handles differ
# from platform to platform, as they do in life, so nothing in the exports links them: the
# warehouse learns who is who from the team's identity register (dbt seed kol_identity_links).
CROSS_PLATFORM_PEOPLE = {
    "person_beauty": ("beauty", {"weibo": 9, "xiaohongshu": 9, "douyin": 9, "instagram": 9}),
    "person_tech": ("tech", {"bilibili": 11, "youtube": 11, "x": 11, "tiktok": 11}),
}
_PERSON_AT = {(platform, i): person for person, (_, accounts) in CROSS_PLATFORM_PEOPLE.items()
              for platform, i in accounts.items()}


@dataclass(frozen=True)
class Preset:
    """How big the world is. Interaction records are likes, comments and follows."""

    name: str
    kols_per_platform: int
    max_followers: int  # the biggest account's start size; a long tail of small ones below it
    audience_pool: int  # named follower profiles per account (commenters, audience samples)
    audience_sample: int  # profiles in one day's audience sample
    max_comments_per_post: int  # comment records per post (the counters may say more)
    description: str


PRESETS = {
    "tiny": Preset("tiny", 12, 20_000, 60, 10, 15, "a test runs in seconds"),
    "small": Preset("small", 12, 300_000, 160, 20, 40, "the README demo"),
    "medium": Preset("medium", 30, 150_000, 300, 30, 80, "a team's roster"),
    "large": Preset("large", 48, 150_000, 400, 40, 120, "benchmarks: over 50 million interaction records a year"),
}
DEFAULT_PRESET = "small"
ENV_PRESET = "KOL_DEMO_PRESET"
ENV_SEED = "KOL_DEMO_SEED"

_HANDLE_STEMS = {
    "weibo": ["小鹿", "阿紫", "美妆达人", "吃货", "旅行家", "科技宅", "游戏王", "理财君", "宝妈", "穿搭"],
    "douyin": ["抖音小七", "跳舞的鱼", "厨房日记", "背包客", "数码控", "电竞阿飞", "财经老王", "萌娃妈妈", "健身阿强"],
    "xiaohongshu": ["薯条", "种草姬", "护肤笔记", "探店", "出片", "好物", "通勤穿搭", "读书", "露营"],
    "bilibili": ["UP主", "硬核", "鬼畜", "测评君", "番剧", "手工", "学习区", "美食作家", "游戏区"],
    "wechat": ["每日财经", "科技前沿", "育儿指南", "美食地图", "深夜读书", "职场", "旅行札记", "时尚周刊", "健康"],
    "instagram": ["glow", "stylist", "foodie", "wander", "techie", "gamer", "money", "mama", "chic", "daily"],
    "tiktok": ["dance", "hacks", "chef", "roam", "unbox", "clutch", "budget", "momlife", "gains"],
    "youtube": ["Reviews", "Vlogs", "Kitchen", "Travels", "TechTalk", "Plays", "Finance", "Family", "Fit"],
    "x": ["takes", "threads", "eats", "nomad", "dev", "esports", "markets", "dadjokes", "runner"],
}

_COMMENT_TEXT = {
    "East": {
        "substance": [
            "你上次推荐的{n}我用了两周，效果真的很明显，想问下敏感肌能不能用？",
            "看了你的视频我去试了，{n}这个方法太实用了，求出一期进阶版",
            "您好，想请教一下{n}的新手怎么入门比较好？",
            "这期内容比上期更细致，尤其是{n}那部分讲得很清楚",
            "跟着你做了三次{n}，第二次才成功，细节很重要",
            "关于{n}有一点不同意见：预算有限的话其实可以先从基础款开始",
        ],
        "short": ["好看", "支持", "第一", "哈哈哈哈", "赞", "冲"],
        "generic": ["好", "👍👍👍", "❤️❤️", "赞赞赞", "🔥", "nice"],
        "reply": ["谢谢支持！", "好问题，下期详细讲{n}", "敏感肌建议先小面积试用哦", "收到，已经在准备了", "你说得对，我补充一下"],
    },
    "West": {
        "substance": [
            "I tried your {n} tip last week and it actually worked, do you have a version for beginners?",
            "You explained the {n} part so clearly, could you do a follow-up on budget options?",
            "Love how honest you are about {n}, most people just push products",
            "Saved this! Which {n} brand do you use yourself?",
            "Respectfully disagree on the {n} point: it depends a lot on your budget",
        ],
        "short": ["nice", "wow", "🔥🔥", "love it", "❤️", "cool"],
        "generic": ["nice", "wow", "🔥", "😍😍😍", "great post", "👏👏"],
        "reply": ["thank you!", "great question, more on {n} soon", "glad it helped!", "🙏", "you're right, good catch"],
    },
}
_BRANDS = {"East": ["花西子", "完美日记", "李宁", "元气森林", "小米", "三只松鼠"],
           "West": ["Glossier", "Nike", "Oatly", "Anker", "Sephora", "Lululemon"]}


def _seed_of(*parts: object) -> int:
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def _rng(*parts: object) -> random.Random:
    return random.Random(_seed_of(*parts))


def _unit(*parts: object) -> float:
    """A uniform number in [0, 1) fixed by its parts."""
    return _seed_of(*parts) / 2**64


def _day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=timezone.utc)


def day_ordinal(day: date) -> int:
    return (day - WORLD_EPOCH).days


# --------------------------------------------------------------------------- the cast

@dataclass(frozen=True)
class Kol:
    platform: str
    index: int  # position in the platform's cast
    account_id: str  # in the platform's own id format
    handle: str
    niche: str
    region: str
    role: str | None  # a planted truth, or None
    start_followers: int
    following: int
    created_at: datetime
    growth_rate: float  # mean daily share of new followers (preferential attachment)
    posts_per_day: float
    on_niche_share: float  # share of posts on the KOL's niche; generalists are low
    engagement_rate: float  # likes per follower per post, at maturity
    comment_ratio: float  # comments per like
    substance_share: float  # share of follower comments with substance
    direct_address_share: float  # share of substantive comments that address the KOL ("you", 你, 您)
    reply_propensity: float  # chance the KOL answers a follower comment
    reply_latency_hours: float  # mean delay of an answer
    sponsored_share: float  # share of posts that are paid partnerships
    lives_per_week: float  # live streams a week, on platforms that have them
    credibility: float  # hidden 0..1 trust that drives retail conversion
    # Some creators schedule their posts: the day's posts all go out at the same second, so
    # timelines hold ties that a connector comparing times with ">" loses at a page boundary.
    scheduled_hour: int | None = None

    @property
    def buys_followers_phase(self) -> int | None:
        return PHASE["bought_followers"] if self.role == "bought_followers" else None

    @property
    def viral_phase(self) -> int | None:
        return PHASE["viral_post"] if self.role == "viral_post" else None

    def _planted_on(self, role: str, day: date) -> bool:
        return self.role == role and day >= WORLD_EPOCH and day_ordinal(day) % PLANT_PERIOD == PHASE[role]

    def buys_followers_on(self, day: date) -> bool:
        return self._planted_on("bought_followers", day)

    def goes_viral_on(self, day: date) -> bool:
        return self._planted_on("viral_post", day)

    def mass_follows_on(self, day: date) -> bool:
        return self._planted_on("mass_follow_back", day)

    def first_purchase(self) -> date | None:
        return None if self.role != "bought_followers" else WORLD_EPOCH + timedelta(days=PHASE["bought_followers"])


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
    kind: str = "real"  # real | fake (bought) | mass_follower | pod | bot


@dataclass(frozen=True)
class Post:
    platform: str
    post_id: str
    account_id: str
    created_at: datetime
    text: str
    media_type: str  # IMAGE, VIDEO, CAROUSEL, TEXT, ARTICLE or LIVE
    final_likes: int
    final_comments: int
    final_shares: int
    final_views: int = 0  # plays, reads or impressions
    final_saves: int = 0  # favourites, collects, bookmarks
    topic: str = ""
    title: str = ""
    duration_s: int = 0
    sponsored: bool = False
    brand: str | None = None
    is_viral: bool = False


@dataclass(frozen=True)
class Counters:
    likes: int
    comments: int
    shares: int
    views: int
    saves: int

    def __iter__(self):  # likes, comments, shares = world.counters(...) keeps working
        return iter((self.likes, self.comments, self.shares))


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
    kind: str = "follower"  # follower | reply (the KOL's) | pod | bot


@dataclass(frozen=True)
class CommerceEvent:
    """What a sponsored post or a live stream sold: a creator dashboard's numbers."""

    platform: str
    account_id: str
    post_id: str
    kind: str  # sponsored_post | live_stream
    brand: str
    day: date
    product_url: str  # the product link or shop anchor the post carried
    impressions: int
    clicks: int
    orders: int
    gmv: float
    currency: str


# --------------------------------------------------------------------------- ids in each platform's format

_X_EPOCH_MS = 1_288_834_974_657  # Twitter's snowflake epoch


def _mask(seed: int, platform: str) -> int:
    return _seed_of("idmask", seed, platform) & (2**64 - 1)


def _b64(n: int) -> str:
    return base64.urlsafe_b64encode(struct.pack(">Q", n)).decode().rstrip("=")


def _unb64(text: str) -> int:
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if len(raw) != 8:
        raise ValueError(text)
    return struct.unpack(">Q", raw)[0]


class PostIds:
    """Each platform's post id format, reversible so that a post is found from its id alone."""

    def __init__(self, seed: int):
        self.seed = seed

    def encode(self, platform: str, kol_index: int, created: datetime, i: int) -> str:
        ts = int(created.timestamp())
        low = kol_index * 100 + i  # kol_index < 10,000, i < 100
        if platform in ("weibo", "bilibili"):
            return str(ts * 1_000_000 + low)  # int64, sorts like time (Weibo's max_id paging relies on it)
        if platform == "instagram":
            return str(17_000_000_000_000_000 + ts * 1_000_000 + low)
        if platform == "tiktok":
            return str(7_000_000_000_000_000_000 + ts * 1_000_000 + low)
        if platform == "x":
            return str(((ts * 1000 - _X_EPOCH_MS) << 22) | (kol_index << 8) | i)
        if platform == "xiaohongshu":
            # Note ids are 24 hex digits whose first 8 are the creation time, like a MongoDB ObjectId.
            return f"{ts:08x}{low:08x}{_seed_of(self.seed, 'xhs', ts, low) % 16**8:08x}"
        packed = (day_ordinal(created.date()) << 24) | low
        if platform == "wechat":
            # msgid "<appmsgid>_<position in the push>"; one push a day, the headline is 1.
            return f"{2_650_000_000 + (day_ordinal(created.date()) << 14 | kol_index)}_{i + 1}"
        if platform == "douyin":
            return "@" + _b64(packed ^ _mask(self.seed, platform)) + "Dq"
        if platform == "youtube":
            return _b64(packed ^ _mask(self.seed, platform))  # 11 url-safe characters
        raise ValueError(f"unknown platform {platform!r}")

    def decode(self, platform: str, post_id: str) -> tuple[int, date, int] | None:
        """(kol index, day of creation, position), or None for an id this world never made."""
        try:
            if platform in ("weibo", "bilibili", "instagram", "tiktok"):
                n = int(post_id) - {"instagram": 17_000_000_000_000_000, "tiktok": 7_000_000_000_000_000_000}.get(platform, 0)
                ts, low = divmod(n, 1_000_000)
                return low // 100, datetime.fromtimestamp(ts, timezone.utc).date(), low % 100
            if platform == "x":
                n = int(post_id)
                ms = (n >> 22) + _X_EPOCH_MS
                return (n >> 8) & 0x3FFF, datetime.fromtimestamp(ms // 1000, timezone.utc).date(), n & 0xFF
            if platform == "xiaohongshu":
                if len(post_id) != 24:
                    return None
                ts, low = int(post_id[:8], 16), int(post_id[8:16], 16)
                return low // 100, datetime.fromtimestamp(ts, timezone.utc).date(), low % 100
            if platform == "wechat":
                appmsgid, _, pos = post_id.partition("_")
                n = int(appmsgid) - 2_650_000_000
                return n & 0x3FFF, WORLD_EPOCH + timedelta(days=n >> 14), int(pos) - 1
            if platform in ("douyin", "youtube"):
                text = post_id[1:-2] if platform == "douyin" else post_id
                if platform == "douyin" and not (post_id.startswith("@") and post_id.endswith("Dq")):
                    return None
                packed = _unb64(text) ^ _mask(self.seed, platform)
                low = packed & 0xFFFFFF
                return low // 100, WORLD_EPOCH + timedelta(days=packed >> 24), low % 100
        except (ValueError, OverflowError, OSError, struct.error):
            return None
        return None


def _account_id(seed: int, platform: str, i: int) -> str:
    h = _seed_of(seed, platform, "account", i)
    if platform == "weibo":
        return str(1_000_000_000 + h % 8_999_999_999)
    if platform == "bilibili":
        return str(100_000 + h % 699_999_999)
    if platform == "instagram":
        return str(17_841_400_000_000_000 + h % 99_999_999_999)
    if platform == "x":
        return str(10_000_000 + h % 1_999_999_999_999_999)
    if platform == "xiaohongshu":
        return f"{h:016x}"[:16] + f"{_seed_of(seed, platform, i, 2):016x}"[:8]
    if platform == "wechat":
        return f"gh_{h:016x}"[:15]
    if platform == "youtube":
        return "UC" + base64.urlsafe_b64encode(hashlib.blake2b(f"{seed}{i}".encode(), digest_size=16).digest()).decode()[:22]
    # Douyin and TikTok open ids: opaque per app.
    body = base64.urlsafe_b64encode(hashlib.blake2b(f"{seed}{platform}{i}".encode(), digest_size=24).digest()).decode()
    return ("_000" if platform == "douyin" else "-000") + body[:32]


def _follower_id(platform: str, kol: Kol, i: int, seed: int) -> str:
    h = _seed_of(seed, "fid", kol.account_id, i)
    if platform in ("weibo", "bilibili", "instagram", "x"):
        base = {"weibo": 1_500_000_000, "bilibili": 3_000_000, "instagram": 9_000_000_000, "x": 900_000_000}[platform]
        return str(base + h % 999_999_999)
    if platform == "xiaohongshu":
        return f"{h:016x}{h % 16**8:08x}"
    if platform == "youtube":
        return "UC" + _b64(h) + _b64(h ^ 0x5A5A)[:11]
    if platform == "wechat":
        return "o" + _b64(h) + _b64(h ^ 0xA5A5)[:16]
    return ("_000" if platform == "douyin" else "-000") + _b64(h) + _b64(h ^ 0x3C3C)


# --------------------------------------------------------------------------- the world

@dataclass
class World:
    seed: int = 7
    preset: Preset | str = DEFAULT_PRESET
    _cache: OrderedDict = field(default_factory=OrderedDict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _pools: dict = field(default_factory=dict, repr=False)  # per account: bounded by the roster, not the days
    _CACHE_ITEMS = 12_000  # posts and comment lists: bounded, so memory stays flat however many days are served

    def __post_init__(self) -> None:
        if isinstance(self.preset, str):
            if self.preset not in PRESETS:
                raise ValueError(f"unknown preset {self.preset!r}; presets: {', '.join(PRESETS)}")
            self.preset = PRESETS[self.preset]
        self.ids = PostIds(self.seed)
        self._kols = {p: [self._make_kol(p, i) for i in range(self.preset.kols_per_platform)] for p in PLATFORMS}
        self._by_id = {k.account_id: k for ks in self._kols.values() for k in ks}
        # An engagement pod: the same few accounts, commenting on every post of the ring.
        self._pods = {p: [self._profile(p, ks[2], 10_000 + j, "pod") for j in range(POD_SIZE)]
                      for p, ks in self._kols.items()}

    # -- bounded memo: the same post's comments are asked for by several requests
    def _memo(self, key: tuple, make):
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        value = make()
        with self._lock:
            self._cache[key] = value
            while len(self._cache) > self._CACHE_ITEMS:
                self._cache.popitem(last=False)
        return value

    # -- the cast ---------------------------------------------------------
    def _make_kol(self, platform: str, i: int) -> Kol:
        region = REGION[platform]
        east = region == "East"
        role = ROLE_BY_INDEX.get(i)
        if role == "nonchalant_mega" and east:
            role = None  # the article's nonchalant star is a Western one
        r = _rng(self.seed, "kol", platform, i)
        stems = _HANDLE_STEMS[platform]
        stem = stems[i % len(stems)]
        handle = {"weibo": f"{stem}{i:02d}", "instagram": f"{stem}.{i:02d}", "tiktok": f"{stem}_{i:02d}",
                  "youtube": f"{stem}With{i:02d}", "x": f"{stem}{i:02d}"}.get(platform, f"{stem}{i:02d}")
        top = self.preset.max_followers
        # A long tail: most KOLs are nano or micro, a few are macro or mega.
        start = int(math.exp(math.log(1_000) + r.random() ** 2 * math.log(top / 1_000)))
        niche = NICHES[r.randrange(len(NICHES))]
        if (platform, i) in _PERSON_AT:  # drawn all the same, so the accounts after it do not change
            niche = CROSS_PLATFORM_PEOPLE[_PERSON_AT[platform, i]][0]
        er = r.uniform(0.01, 0.05) * (3_000 / start) ** 0.15  # engagement falls as audiences grow
        reply = min(0.95, max(0.0, r.gauss(0.45 if east else 0.12, 0.15)))
        latency = r.uniform(0.5, 6.0) if east else r.uniform(6.0, 48.0)
        on_niche = r.uniform(0.75, 0.95) if r.random() > 0.15 else r.uniform(0.2, 0.4)  # some are generalists
        substance = r.uniform(0.45, 0.65) if east else r.uniform(0.2, 0.4)
        growth = r.uniform(0.0002, 0.0015)
        if role == "nonchalant_mega":
            start, reply, substance = int(r.uniform(1.05e6, 1.3e6)), 0.0, 0.1
            er, growth = r.uniform(0.002, 0.004), r.uniform(0.0001, 0.0003)  # a big, passive audience
        elif role == "niche_expert":
            start, er, reply, on_niche, substance = int(r.uniform(3_000, 8_000)), er * 3, max(reply, 0.7), 1.0, 0.85
        elif role in ("bought_followers", "viral_post"):
            start = max(start, 20_000)  # big enough that a jump is a jump, small enough to matter
            growth = 0.0 if role == "viral_post" else min(growth, 0.0004)  # the planted jumps are its growth
        trust = (0.35 * reply + 0.25 * on_niche + 0.25 * substance
                 + 0.15 * (0.0 if role in ("bought_followers", "bot_comments", "engagement_pod") else 1.0))
        return Kol(
            platform=platform, index=i, account_id=_account_id(self.seed, platform, i), handle=handle,
            niche=niche, region=region, role=role, start_followers=start,
            following=int(r.uniform(50, 1200)),
            created_at=_day_start(WORLD_EPOCH) - timedelta(days=r.randrange(200, 3_000)),
            growth_rate=growth,
            posts_per_day=r.uniform(0.6, 1.0) if platform == "wechat" or role == "nonchalant_mega" else r.uniform(0.5, 2.0),
            on_niche_share=on_niche, engagement_rate=er,
            comment_ratio=r.uniform(0.05, 0.12) if east else r.uniform(0.01, 0.05),
            substance_share=substance, direct_address_share=r.uniform(0.4, 0.8) if east else r.uniform(0.2, 0.5),
            reply_propensity=reply, reply_latency_hours=latency,
            sponsored_share=r.uniform(0.03, 0.2), lives_per_week=r.uniform(0.5, 3.0) if platform in LIVE_PLATFORMS else 0.0,
            credibility=round(trust, 4),
            scheduled_hour=(lambda s: s.randrange(7, 22) if s.random() < 0.2 else None)(
                _rng(self.seed, "schedule", platform, i)),
        )

    def kols(self, platform: str) -> list[Kol]:
        return list(self._kols[platform])

    def all_kols(self) -> list[Kol]:
        return [k for p in PLATFORMS for k in self._kols[p]]

    def kol(self, account_id: str) -> Kol | None:
        return self._by_id.get(account_id)

    # -- followers: closed form, so any day costs the same ------------------
    def _wobble(self, kol: Kol, t: int) -> float:
        """Smooth noise around the growth trend: random weekly knots, cosine-interpolated."""
        week, within = divmod(t, 7)
        a = _rng(self.seed, "knot", kol.account_id, week).gauss(0.0, 0.004)
        b = _rng(self.seed, "knot", kol.account_id, week + 1).gauss(0.0, 0.004)
        w = (1 - math.cos(math.pi * within / 7)) / 2
        return a * (1 - w) + b * w

    @staticmethod
    def _occurrences(t: int, phase: int) -> int:
        """How many days of one planted phase there have been up to day number ``t``."""
        return 0 if t < phase else (t - phase) // PLANT_PERIOD + 1

    def _organic(self, kol: Kol, t: int) -> float:
        # Preferential attachment: d(followers)/dt = g * followers, so followers = start * e^(g t).
        # A viral day adds 7 % at once, which then compounds like the rest.
        level = kol.start_followers * math.exp(kol.growth_rate * t + self._wobble(kol, t))
        if kol.role == "viral_post":
            # A viral day brings 8 % at once; most of them unfollow again within about a week.
            n = self._occurrences(t, PHASE["viral_post"])
            if n:
                since = (t - PHASE["viral_post"]) % PLANT_PERIOD
                level *= 1.015 ** (n - 1) * (1.015 + 0.065 * math.exp(-since / 2.5))
        if kol.role == "mass_follow_back":
            # Each round of mass following earns 4 % of follow-backs over three days.
            n = self._occurrences(t, PHASE["mass_follow_back"])
            since = (t - PHASE["mass_follow_back"]) % PLANT_PERIOD if n else 99
            level *= 1.04 ** max(0, n - 1) * (1 + 0.04 * min(1.0, (since + 1) / 3) if n else 1.0)
        return level

    def followers_on(self, kol: Kol, day: date) -> int:
        """Followers at the end of ``day``."""
        if day < WORLD_EPOCH:
            return 0
        t = day_ordinal(day)
        level = self._organic(kol, t)
        if kol.role == "bought_followers":
            since = (t - PHASE["bought_followers"]) % PLANT_PERIOD
            if t >= PHASE["bought_followers"] and since < PURGE_AFTER_DAYS:
                # Bought on the phase day, purged by the platform PURGE_AFTER_DAYS later.
                level += 0.25 * self._organic(kol, t - since - 1)
        return max(0, int(round(level)))

    def following_on(self, kol: Kol, day: date) -> int:
        t = max(0, day_ordinal(day))
        base = kol.following + t // 30
        if kol.role == "mass_follow_back" and t >= PHASE["mass_follow_back"]:
            since = (t - PHASE["mass_follow_back"]) % PLANT_PERIOD
            if since < 7:  # follows thousands, then unfollows them a week later
                base += 3_000 + _rng(self.seed, "massfollow", kol.account_id, t - since).randrange(2_000)
        return base

    def posts_count_on(self, kol: Kol, day: date) -> int:
        """The profile's total posts, a closed form of the posting rhythm."""
        return 80 + int(kol.posts_per_day * max(0, day_ordinal(day)))

    # -- posts --------------------------------------------------------------
    def posts_created_on(self, kol: Kol, day: date) -> list[Post]:
        if day < WORLD_EPOCH:
            return []
        return list(self._memo(("posts", kol.account_id, day), lambda: self._make_posts(kol, day)))

    def post(self, post_id: str, platform: str | None = None) -> Post | None:
        """Any post of this world, found from its id alone (ids encode account, day and position)."""
        for p in ([platform] if platform else PLATFORMS):
            decoded = self.ids.decode(p, post_id)
            if decoded is None:
                continue
            index, day, _ = decoded
            kols = self._kols[p]
            if not 0 <= index < len(kols):
                continue
            for post in self.posts_created_on(kols[index], day):
                if post.post_id == post_id:
                    return post
        return None

    def _make_posts(self, kol: Kol, day: date) -> list[Post]:
        r = _rng(self.seed, "posts", kol.account_id, day.isoformat())
        count = _poisson(r, kol.posts_per_day)
        if kol.goes_viral_on(day):
            count = max(count, 1)
        lives = _poisson(r, kol.lives_per_week / 7) if kol.platform in LIVE_PLATFORMS else 0
        followers = self.followers_on(kol, day - timedelta(days=1))
        if kol.role == "bought_followers":
            followers = int(self._organic(kol, day_ordinal(day) - 1))  # fakes never engage
        region = kol.region
        posts = []
        for i in range(min(count + lives, 99)):
            live = i >= count
            created = _day_start(day) + timedelta(seconds=r.randrange(86_400))
            if kol.scheduled_hour is not None and not live:
                created = _day_start(day) + timedelta(hours=kol.scheduled_hour)
            if kol.platform == "wechat":  # one push a day, all articles at the same time
                created = _day_start(day) + timedelta(hours=12, seconds=_seed_of(self.seed, "push", kol.account_id, day) % 3600)
            likes = followers * kol.engagement_rate * r.lognormvariate(0.0, 0.35)
            viral = kol.goes_viral_on(day) and i == 0
            if viral:
                likes *= 12
            if live:
                likes *= 0.5
            comments = likes * kol.comment_ratio * r.lognormvariate(0.0, 0.3) * (3 if live else 1)
            shares = likes * r.uniform(0.02, 0.08)
            saves = likes * r.uniform(0.05, 0.25)
            if kol.platform in VIDEO_PLATFORMS or live:
                views = likes / r.uniform(0.03, 0.09)
            elif kol.platform == "wechat":
                views = likes * r.uniform(15, 40)  # reads; likes and "Wow" are rare on articles
            else:
                views = likes * r.uniform(8, 20)  # impressions
            on_niche = r.random() < kol.on_niche_share
            topic = kol.niche if on_niche else NICHES[r.randrange(len(NICHES))]
            sponsored = not live and r.random() < kol.sponsored_share
            brand = _BRANDS[region][r.randrange(len(_BRANDS[region]))] if sponsored or live else None
            media = "LIVE" if live else (
                "ARTICLE" if kol.platform == "wechat" else
                "VIDEO" if kol.platform in VIDEO_PLATFORMS else
                "TEXT" if kol.platform == "x" and r.random() < 0.6 else
                ("VIDEO" if r.random() < 0.4 else "CAROUSEL" if r.random() < 0.3 else "IMAGE"))
            title = _title(region, topic, kol.handle, day, i, sponsored, brand, live)
            tag = f"#{topic}#" if region == "East" else f"#{topic}"
            post_id = self.ids.encode(kol.platform, kol.index, created, i)
            posts.append(Post(
                platform=kol.platform, post_id=post_id, account_id=kol.account_id, created_at=created,
                text=f"{title} {tag}" + (" #ad" if sponsored and region == "West" else " #广告" if sponsored else ""),
                media_type=media, final_likes=int(likes), final_comments=int(comments), final_shares=int(shares),
                final_views=int(views), final_saves=int(saves), topic=topic, title=title,
                duration_s=(r.randrange(1800, 10_800) if live else r.randrange(15, 900)) if media in ("VIDEO", "LIVE") else 0,
                sponsored=sponsored, brand=brand, is_viral=viral,
            ))
        return sorted(posts, key=lambda p: (p.created_at, p.post_id))

    def posts_between(self, kol: Kol, first: date, last: date) -> list[Post]:
        out: list[Post] = []
        d = max(first, WORLD_EPOCH)
        while d <= last:
            out.extend(self.posts_created_on(kol, d))
            d += timedelta(days=1)
        return out

    @staticmethod
    def share_done(post: Post, as_of: datetime) -> float:
        """How much of a post's final engagement has happened by ``as_of``: all of it after TRACKING_DAYS."""
        hours = (as_of - post.created_at).total_seconds() / 3600
        if hours <= 0:
            return 0.0
        tau = ENGAGEMENT_HALF_LIFE_H / math.log(2)
        return min(1.0, (1.0 - math.exp(-hours / tau)) / (1.0 - math.exp(-TRACKING_DAYS * 24 / tau)))

    def counters(self, post: Post, as_of: datetime) -> Counters:
        f = self.share_done(post, as_of)
        # The records listed so far, the KOL's own replies included as every platform counts them;
        # past the records a post lists (max_comments_per_post), the counter runs on without them.
        comments = max(len(self.comments_on(post, as_of)), int(post.final_comments * f))
        return Counters(int(post.final_likes * f), comments, int(post.final_shares * f),
                        int(post.final_views * f), int(post.final_saves * f))

    # -- comments -----------------------------------------------------------
    def comments_on(self, post: Post, as_of: datetime) -> list[Comment]:
        """Follower comments and the KOL's replies that exist at ``as_of``, oldest first."""
        every = self._memo(("comments", post.post_id), lambda: self._make_comments(post))
        return [c for c in every if c.created_at <= as_of]

    def _make_comments(self, post: Post) -> list[Comment]:
        kol = self._by_id[post.account_id]
        r = _rng(self.seed, "comments", post.post_id)
        pool, real, cum_weights = self._pool_and_weights(kol)
        bots = [f for f in pool if f.kind == "bot"]
        texts = _COMMENT_TEXT[kol.region]
        tau = ENGAGEMENT_HALF_LIFE_H / math.log(2)
        horizon = TRACKING_DAYS * 24 * 0.999
        out: list[Comment] = []
        n = 0

        def add(author: Follower, created: datetime, text: str, kind: str) -> str:
            nonlocal n
            cid = str(_time_ordered_id(created, n))
            n += 1
            out.append(Comment(kol.platform, cid, post.post_id, kol.account_id, author, author.account_id,
                               author.handle, created, text, None, kind))
            return cid

        if kol.role == "engagement_pod":
            # The pod comments within minutes of publication, on every post of the ring.
            for member in self._pods[kol.platform]:
                created = post.created_at + timedelta(seconds=r.randrange(30, 900))
                add(member, created, r.choice(texts["generic"]), "pod")
        for i in range(min(post.final_comments, self.preset.max_comments_per_post)):
            delay_h = min(horizon, r.expovariate(1 / tau))  # the same decay as the counters
            created = post.created_at + timedelta(seconds=int(delay_h * 3600))
            author = r.choices(real, cum_weights=cum_weights)[0]  # repeat commenters: a loyal core
            roll = r.random()
            if roll < kol.substance_share:
                template = r.choice(texts["substance"])
                if r.random() > kol.direct_address_share:  # the same substance, not addressed to the KOL
                    template = template.replace("你", "这个").replace("您", "").replace("You ", "This ").replace("you ", "one ")
            elif roll < kol.substance_share + 0.05:
                template = r.choice(texts["generic"])  # one to three in twenty is normal everywhere
            else:
                template = r.choice(texts["short"])
            cid = add(author, created, template.format(n=post.topic or kol.niche), "follower")
            if r.random() < kol.reply_propensity:
                latency_h = min(6 * 24.0, r.expovariate(1.0 / kol.reply_latency_hours))
                replied = created + timedelta(seconds=int(3600 * latency_h))
                out.append(Comment(kol.platform, str(_time_ordered_id(replied, n)), post.post_id, kol.account_id,
                                   None, kol.account_id, kol.handle, replied,
                                   r.choice(texts["reply"]).format(n=post.topic or kol.niche), cid, "reply"))
                n += 1
        if bots:
            # Bought comments come in packs: at least three a post, soon after publication.
            real_comments = sum(c.kind == "follower" for c in out)
            for _ in range(max(3, int(0.8 * real_comments))):
                created = post.created_at + timedelta(seconds=r.randrange(60, 7_200))
                add(r.choice(bots), created, r.choice(texts["generic"]), "bot")
        return sorted(out, key=lambda c: (c.created_at, c.comment_id))

    def kol_as_follower(self, kol: Kol) -> Follower:
        return Follower(kol.platform, kol.account_id, kol.handle, kol.start_followers, kol.following, 100,
                        f"https://img.example/{kol.platform}/{kol.index}.jpg", kol.niche, kol.created_at, False, "kol")

    # -- audience -----------------------------------------------------------
    def audience_pool(self, kol: Kol) -> list[Follower]:
        return self._pool_and_weights(kol)[0]

    def _pool_and_weights(self, kol: Kol) -> tuple[list[Follower], list[Follower], list[float]]:
        """The pool, its real members, and their cumulative Zipf weights (a loyal core comments most)."""
        cached = self._pools.get(kol.account_id)
        if cached is None:
            pool = self._make_pool(kol)
            real = [f for f in pool if f.kind in ("real", "mass_follower")]
            cum, total = [], 0.0
            for rank in range(len(real)):
                total += 1.0 / (rank + 1)
                cum.append(total)
            cached = (pool, real, cum)
            with self._lock:
                self._pools[kol.account_id] = cached
        return cached

    def _make_pool(self, kol: Kol) -> list[Follower]:
        size = self.preset.audience_pool
        pool = [self._profile(kol.platform, kol, i, "mass_follower" if _unit(self.seed, "mf", kol.account_id, i) < 0.05
                              else "real") for i in range(size)]
        if kol.role == "bought_followers":
            pool += [self._profile(kol.platform, kol, size + i, "fake") for i in range(size // 2)]
        if kol.role == "mass_follow_back":
            pool += [self._profile(kol.platform, kol, size + i, "mass_follower") for i in range(size // 3)]
        if kol.role == "bot_comments":
            pool += [self._profile(kol.platform, kol, 2 * size + i, "bot") for i in range(12)]
        return pool

    def _profile(self, platform: str, kol: Kol, i: int, kind: str) -> Follower:
        r = _rng(self.seed, "follower", kol.account_id, i)
        fid = _follower_id(platform, kol, i, self.seed)
        # The platform's default handle (a word and many digits) is commoner among generated accounts,
        # but real people keep it too and fakes pick names: a signal, not a giveaway.
        h = _rng(self.seed, "handle", fid)
        default_share = {"fake": 0.75, "bot": 0.6}.get(kind, 0.35)
        handle = _handle(platform, h, default=h.random() < default_share)
        if kind in ("fake", "bot"):
            # Fake-follower signals, each of which some real accounts share: no avatar, no bio,
            # following many, few posts, a young account.
            created = _day_start(WORLD_EPOCH) + timedelta(days=r.randrange(0, 30))
            if kol.first_purchase():
                created = _day_start(kol.first_purchase()) - timedelta(days=r.randrange(1, 20))
            avatar = None if r.random() < 0.8 else f"https://img.example/{platform}/{fid}.jpg"
            bio = "" if r.random() < 0.85 else r.choice(_BIOS)
            return Follower(platform, fid, handle, r.randrange(0, 12), r.randrange(300, 6_000), r.randrange(0, 8),
                            avatar, bio, created, True, kind)
        if kind == "pod":
            created = _day_start(WORLD_EPOCH) - timedelta(days=r.randrange(100, 900))
            return Follower(platform, fid, handle, int(r.uniform(800, 5_000)), int(r.uniform(900, 3_000)),
                            int(r.uniform(30, 300)), f"https://img.example/{platform}/{fid}.jpg", r.choice(_BIOS),
                            created, False, kind)
        created = _day_start(WORLD_EPOCH) - timedelta(days=r.randrange(30, 3_000))
        avatar = None if r.random() < 0.08 else f"https://img.example/{platform}/{fid}.jpg"
        bio = "" if r.random() < 0.2 else (f"{kol.niche} lover · {r.randrange(18, 60)}" if r.random() < 0.6
                                           else r.choice(_BIOS))
        following = int(r.lognormvariate(5.5, 0.8))
        if kind == "mass_follower":
            following = int(r.uniform(1_600, 7_500))
        return Follower(platform, fid, handle, int(r.lognormvariate(5.0, 1.5)), following,
                        int(r.lognormvariate(4.0, 1.2)), avatar, bio, created, False, kind)

    def audience_sample(self, kol: Kol, day: date) -> list[Follower]:
        pool = [f for f in self.audience_pool(kol) if f.kind != "bot"]
        if kol.role == "bought_followers":
            t = day_ordinal(day)
            since = (t - PHASE["bought_followers"]) % PLANT_PERIOD
            if t < PHASE["bought_followers"] or since >= PURGE_AFTER_DAYS:
                pool = [f for f in pool if f.kind != "fake"]  # none bought yet, or purged
        r = _rng(self.seed, "sample", kol.account_id, day.isoformat())
        return r.sample(pool, min(self.preset.audience_sample, len(pool)))

    # -- commerce -----------------------------------------------------------
    def commerce_on(self, kol: Kol, day: date) -> list[CommerceEvent]:
        """Sponsored posts and live streams published on ``day``, with what they sold by TRACKING_DAYS."""
        out = []
        for post in self.posts_created_on(kol, day):
            if not (post.sponsored or post.media_type == "LIVE"):
                continue
            r = _rng(self.seed, "commerce", post.post_id)
            # Retail sway follows credibility: trusted KOLs turn views into clicks and clicks into orders.
            ctr = 0.004 + 0.03 * kol.credibility * r.uniform(0.7, 1.3)
            cvr = 0.01 + 0.09 * kol.credibility ** 2 * r.uniform(0.7, 1.3)
            impressions = max(post.final_views, post.final_likes * 10)
            clicks = int(impressions * ctr)
            orders = int(clicks * cvr)
            price = r.uniform(39, 399) if kol.region == "East" else r.uniform(9, 89)
            product = f"https://shop.example/{kol.platform}/{_seed_of(self.seed, 'product', post.post_id) % 10**8:08d}"
            out.append(CommerceEvent(kol.platform, kol.account_id, post.post_id,
                                     "live_stream" if post.media_type == "LIVE" else "sponsored_post",
                                     post.brand or "", day, product, impressions, clicks, orders, round(orders * price, 2),
                                     CURRENCY[kol.region]))
        return out


    # -- interaction records: likes, comments and follows, one row each ---------
    def interaction_events(self, platform: str, day: date):
        """Every like, comment, reply, follow and unfollow on ``platform`` during ``day``, as an Arrow table.

        The counters the API serves are the running totals of these records, so both agree.
        Vectorised with numpy: a day of the ``large`` preset is a few hundred thousand rows.
        """
        import numpy as np
        import pyarrow as pa

        start = _day_start(day)
        end = start + timedelta(days=1)
        day_ms = int(start.timestamp() * 1000)
        cols: dict[str, list] = {k: [] for k in ("account_id", "post_id", "kind", "actor_id", "event_time")}

        def emit(account: str, post: str | None, kind: str, actors, times_ms) -> None:
            n = len(actors)
            if n:
                cols["account_id"].append(np.full(n, account, dtype=object))
                cols["post_id"].append(np.full(n, post, dtype=object))
                cols["kind"].append(np.full(n, kind, dtype=object))
                cols["actor_id"].append(np.asarray(actors, dtype=object))
                cols["event_time"].append(np.asarray(times_ms, dtype="int64"))

        for kol in self._kols[platform]:
            rng = np.random.default_rng(_seed_of(self.seed, "events", kol.account_id, day.isoformat()))
            before = self.followers_on(kol, day - timedelta(days=1))
            after = self.followers_on(kol, day)
            churn = int(before * 0.0003)
            gained = max(0, after - before) + churn
            lost = max(0, before - after) + churn
            base = _seed_of(self.seed, "actors", kol.account_id) % 10**12 * 1000
            emit(kol.account_id, None, "follow", (base + before + np.arange(gained)).astype(str).astype(object),
                 day_ms + rng.integers(0, 86_400_000, gained))
            emit(kol.account_id, None, "unfollow", (base + rng.integers(0, max(1, before), lost)).astype(str).astype(object),
                 day_ms + rng.integers(0, 86_400_000, lost))
            for post in self.posts_between(kol, day - timedelta(days=TRACKING_DAYS), day):
                likes = self.counters(post, end - timedelta(microseconds=1)).likes - \
                    self.counters(post, start - timedelta(microseconds=1)).likes
                if likes > 0:
                    # Most likes come from a loyal core, the rest from a long tail of followers.
                    who = (rng.pareto(1.16, likes) * 50).astype("int64") % max(1, before)
                    first_ms = max(day_ms, int(post.created_at.timestamp() * 1000))
                    emit(kol.account_id, post.post_id, "like", (base + who).astype(str).astype(object),
                         first_ms + rng.integers(0, max(1, day_ms + 86_400_000 - first_ms), likes))
                todays = [c for c in self.comments_on(post, end - timedelta(microseconds=1)) if c.created_at >= start]
                for kind in ("comment", "reply"):
                    mine = [c for c in todays if (c.kind == "reply") == (kind == "reply")]
                    emit(kol.account_id, post.post_id, kind, [c.author_id for c in mine],
                         [int(c.created_at.timestamp() * 1000) for c in mine])
        if not cols["kind"]:
            arrays = [np.array([], dtype=object)] * 4 + [np.array([], dtype="int64")]
        else:
            arrays = [np.concatenate(cols[k]) for k in cols]
        return pa.table({
            "platform": pa.array([platform] * len(arrays[0]), pa.string()).dictionary_encode(),
            "account_id": pa.array(arrays[0], pa.string()),
            "post_id": pa.array(arrays[1], pa.string()),
            "kind": pa.array(arrays[2], pa.string()).dictionary_encode(),
            "actor_id": pa.array(arrays[3], pa.string()),
            "event_time": pa.array(arrays[4], pa.timestamp("ms", tz="UTC")),
        })

    def interaction_count(self, platform: str, day: date) -> int:
        """About how many interaction records ``interaction_events`` makes, without making them: exact
        for likes, follows and unfollows, an expectation for comments and replies. Sizes the presets."""
        start = _day_start(day)
        end = start + timedelta(days=1)
        total = 0
        for kol in self._kols[platform]:
            before, after = self.followers_on(kol, day - timedelta(days=1)), self.followers_on(kol, day)
            churn = int(before * 0.0003)
            total += abs(after - before) + 2 * churn
            for post in self.posts_between(kol, day - timedelta(days=TRACKING_DAYS), day):
                f0 = self.share_done(post, start - timedelta(microseconds=1))
                f1 = self.share_done(post, end - timedelta(microseconds=1))
                total += max(0, int(post.final_likes * f1) - int(post.final_likes * f0))
                total += int(min(post.final_comments, self.preset.max_comments_per_post) * (1 + kol.reply_propensity) * (f1 - f0))
        return total

    # -- planted truths: written to a file, never served ----------------------
    def ground_truth(self, first: date, last: date) -> dict:
        """What the warehouse should find between ``first`` and ``last``: the answer key."""
        accounts, events, pods, bots = [], [], [], []
        for platform in PLATFORMS:
            ring = [k.account_id for k in self._kols[platform] if k.role == "engagement_pod"]
            if ring:
                pods.append({"platform": platform, "ring_account_ids": ring,
                             "member_account_ids": [m.account_id for m in self._pods[platform]]})
            for kol in self._kols[platform]:
                accounts.append({
                    "platform": platform, "account_id": kol.account_id, "handle": kol.handle, "region": kol.region,
                    "niche": kol.niche, "role": kol.role, "credibility": kol.credibility,
                    "person": _PERSON_AT.get((platform, kol.index)),
                    "reply_propensity": round(kol.reply_propensity, 4),
                    "reply_latency_hours": round(kol.reply_latency_hours, 3),
                    "on_niche_share": round(kol.on_niche_share, 4), "sponsored_share": round(kol.sponsored_share, 4),
                    "engagement_rate": round(kol.engagement_rate, 5),
                })
                if kol.role == "bot_comments":
                    bots.append({"platform": platform, "account_id": kol.account_id,
                                 "bot_account_ids": [f.account_id for f in self.audience_pool(kol) if f.kind == "bot"],
                                 "bot_comments_per_post": "at least 3, and 0.8 per follower comment"})
                day = first
                while day <= last:
                    if kol.buys_followers_on(day):
                        bought = self.followers_on(kol, day) - round(self._organic(kol, day_ordinal(day)))
                        events.append({"kind": "bought_followers", "platform": platform, "account_id": kol.account_id,
                                       "day": day.isoformat(), "followers_bought": int(bought),
                                       "purged_on": (day + timedelta(days=PURGE_AFTER_DAYS)).isoformat()})
                    if kol.goes_viral_on(day):
                        viral = next(p for p in self.posts_created_on(kol, day) if p.is_viral)
                        events.append({"kind": "viral_post", "platform": platform, "account_id": kol.account_id,
                                       "day": day.isoformat(), "post_id": viral.post_id})
                    if kol.mass_follows_on(day):
                        events.append({"kind": "mass_follow_back", "platform": platform, "account_id": kol.account_id,
                                       "day": day.isoformat(),
                                       "following_added": self.following_on(kol, day) - self.following_on(kol, day - timedelta(days=1)),
                                       "unfollowed_on": (day + timedelta(days=7)).isoformat()})
                    day += timedelta(days=1)
        return {
            "about": "The demo world's planted truths: the answer key the warehouse's tests score the marts "
                     "against. The export API never serves any of it.",
            "seed": self.seed, "preset": self.preset.name, "first_day": first.isoformat(), "last_day": last.isoformat(),
            "plant_period_days": PLANT_PERIOD, "accounts": accounts, "events": events,
            "engagement_pods": pods, "bot_comments": bots,
        }


_BIOS = ("互粉 互赞", "生活记录", "collab? DM", "photography · coffee", "热爱生活", "just vibes", "摄影爱好者",
         "dog mom", "努力搬砖中", "travel · food · repeat")
_NAME_PARTS = {"East": ("小", "阿", "大", "喵", "橘子", "星星", "木子", "糖", "风", "鱼", "晴天", "柚子"),
               "West": ("sun", "moon", "jay", "kate", "nova", "leo", "mia", "sky", "blue", "max", "zoe", "ivy")}


def _handle(platform: str, r: random.Random, default: bool) -> str:
    """A follower's handle: the platform's default (a word and digits) or a chosen name."""
    if default:
        # Ten digits: platforms number their default handles, so two accounts never share one.
        digits = f"{r.randrange(10**10):010d}"
        return {"weibo": f"用户{digits}", "douyin": f"抖音用户{digits}", "xiaohongshu": f"小红薯{digits}",
                "bilibili": f"bili_{digits}", "wechat": f"微信用户{digits}"}.get(platform, f"user{digits}")
    parts = _NAME_PARTS[REGION[platform]]
    # A few letters of its own keep every chosen name unique on its platform, as platforms require.
    name = r.choice(parts) + r.choice(parts) + "".join(chr(97 + r.randrange(26)) for _ in range(4))
    if r.random() < 0.5:
        name += str(r.randrange(1, 2_000))
    return name if REGION[platform] == "East" else name.lower() + r.choice(("", "_", "."))


def _title(region: str, topic: str, handle: str, day: date, i: int, sponsored: bool, brand: str | None,
           live: bool) -> str:
    if region == "East":
        if live:
            return f"【直播】{handle}的{topic}专场 · {brand}"
        return f"{handle}的{topic}分享 {day:%m月%d日} 第{i + 1}篇" + (f" × {brand}" if sponsored else "")
    if live:
        return f"LIVE: {topic} with {handle} x {brand}"
    return f"{handle} on {topic}, {day:%b %d} #{i + 1}" + (f" (with {brand})" if sponsored else "")


def _time_ordered_id(ts: datetime, n: int) -> int:
    """Comment ids that sort like time, as Weibo's do, so max_id paging works."""
    return int(ts.timestamp()) * 1_000_000 + _seed_of("cid", ts.timestamp(), n) % 1_000_000


def _poisson(r: random.Random, lam: float) -> int:
    # Knuth's method: fine for the small rates of a posting rhythm.
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= r.random()
        if p <= limit:
            return k
        k += 1


_DEFAULT: World | None = None
_DEFAULT_LOCK = threading.Lock()


def default_world() -> World:
    """The world the demo API serves and the demo roster names: ``KOL_DEMO_PRESET`` and ``KOL_DEMO_SEED``."""
    global _DEFAULT
    preset = os.environ.get(ENV_PRESET, DEFAULT_PRESET)
    seed = int(os.environ.get(ENV_SEED, "7"))
    with _DEFAULT_LOCK:
        if _DEFAULT is None or _DEFAULT.preset.name != preset or _DEFAULT.seed != seed:
            _DEFAULT = World(seed=seed, preset=preset)
        return _DEFAULT
