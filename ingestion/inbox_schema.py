"""The unified file format: the data contract of files dropped in the inbox.

Data from tools other than the platforms' own exports (a social-listening tool, a
spreadsheet kept by hand, an agency's follower sample) arrives in this format, one
file per entity, and lands under the pseudo-source ``files``:

    <lake>/raw/files/<entity>/dt=YYYY-MM-DD/<file stem>-<sha256[:12]>.parquet

Unlike the platform contracts (``ingestion/platforms/<platform>/schema.py``), which
keep each platform's own field names, the unified format speaks the cross-platform
vocabulary of dbt's staging layer (``account_id``, ``followers``, ``published_at``,
``follower_followers``...), because the person writing the file already chose
their columns: there is no platform's own name to stay faithful to. Every row names
its ``platform`` (one of the nine) and the platform's account id of the KOL.

Each column is declared once, with its meaning and an example, so that
``docs/unified-format.md`` and the validator in ``ingestion/inbox.py`` cannot drift
apart (a test holds the document to this module). Follower and commenter ids and
handles carry the PII metadata of ``ingestion/privacy.py`` and are pseudonymised
before anything is written; a handle's length and digit count are derived first.

Bump ``FORMAT_VERSION`` whenever a column changes; it is written into every landed
file's metadata and manifest.
"""
from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from ingestion.contract import LOADED_AT_FIELD, UTC_TS
from ingestion.privacy import PII_HANDLE, PII_ID
from ingestion.schemas import EXTRAS_COLUMN  # as in the platform contracts: unknown columns kept as JSON

FORMAT_VERSION = "1"
SOURCE = "files"  # the pseudo-source: <lake>/raw/files/..., never a platform's name

# The nine platforms a row may name (the demo world's and the connectors' names).
PLATFORMS = ("weibo", "douyin", "xiaohongshu", "bilibili", "wechat", "instagram", "tiktok", "youtube", "x")
ENTITIES = ("profiles", "posts", "post_metrics", "comments", "audience", "commerce")
# Entities about followers and commenters rather than the KOLs themselves.
PERSONAL_ENTITIES = frozenset({"comments", "audience"})

# Value kinds the validator knows, with their landed Arrow type.
KINDS: dict[str, pa.DataType] = {
    "platform": pa.string(),    # one of PLATFORMS, any case
    "id": pa.string(),          # an identifier: one line, no control characters
    "text": pa.string(),        # free text, several lines allowed
    "code": pa.string(),        # a short label (media type, sale kind)
    "currency": pa.string(),    # ISO 4217, three letters
    "count": pa.int64(),        # >= 0; display strings such as "1.2万", "10万+", "2.5k", "3,456" accepted
    "int": pa.int32(),          # >= 0, a plain whole number (lengths, seconds)
    "bool": pa.bool_(),         # true/false, 1/0, yes/no, 是/否
    "date": pa.date32(),        # YYYY-MM-DD
    "timestamp": UTC_TS,        # ISO-8601 with a zone (Z or +08:00); landed in UTC
    "timestamp_or_date": UTC_TS,  # the same, or a bare YYYY-MM-DD taken as 00:00 UTC
    "money": pa.decimal128(18, 4),  # >= 0, a decimal number with at most 4 decimals
}


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    required: bool
    meaning: str
    example: str
    pii: str | None = None  # "id" or "handle": pseudonymised before landing

    @property
    def arrow_field(self) -> pa.Field:
        meta = {"id": PII_ID, "handle": PII_HANDLE}.get(self.pii)
        return pa.field(self.name, KINDS[self.kind], nullable=not self.required, metadata=meta)


@dataclass(frozen=True)
class Entity:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]       # natural key: a repeat within a file counts as a duplicate
    day_from: tuple[str, ...]  # the column(s) that give a row's dt partition, first present wins
    meaning: str
    # Groups of columns of which at least one must hold a value.
    one_of: tuple[tuple[str, ...], ...] = ()

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


def _kol(meaning: str = "the platform's account id of the KOL the row is about") -> tuple[Column, ...]:
    return (
        Column("platform", "platform", True, "one of " + ", ".join(PLATFORMS), "weibo"),
        Column("account_id", "id", True, meaning + "; never pseudonymised (KOLs are public figures)", "5089007929"),
    )


def _handle(prefix: str, example: str, who: str) -> tuple[Column, ...]:
    return (
        Column(f"{prefix}_handle", "id", False, f"the {who}'s username; pseudonymised, after its length and digit "
               "count are derived", example, pii="handle"),
        Column(f"{prefix}_handle_length", "int", False, f"characters in the {who}'s username; derived from "
               f"`{prefix}_handle` when that is given (the derived value wins), else taken as given",
               str(len(example))),
        Column(f"{prefix}_handle_digit_count", "int", False, f"digits 0-9 in the {who}'s username; derived like "
               f"`{prefix}_handle_length`", str(sum(ch.isdigit() for ch in example))),
    )


UNIFIED: dict[str, Entity] = {e.name: e for e in (
    Entity("profiles", (
        *_kol(),
        Column("snapshot_date", "date", True, "the day whose end the counters describe", "2026-03-10"),
        Column("handle", "id", False, "the KOL's username or nickname (kept as it is)", "小鹿00"),
        Column("followers", "count", False, "followers at the end of snapshot_date", "1.2万"),
        Column("following", "count", False, "accounts the KOL follows", "311"),
        Column("posts_count", "count", False, "posts the account has published in all", "1,024"),
        Column("verified", "bool", False, "whether the platform marks the account as verified", "true"),
        Column("created_at", "timestamp_or_date", False, "when the account was created", "2015-06-01"),
    ), key=("platform", "account_id", "snapshot_date"), day_from=("snapshot_date",),
        meaning="one row per KOL account and day: a daily account snapshot"),
    Entity("posts", (
        *_kol("the platform's account id of the KOL who published the post"),
        Column("post_id", "id", True, "the platform's id of the post, video, note or article", "1772660435000000"),
        Column("published_at", "timestamp", False, "when the post was published; needed unless published_date "
               "is given", "2026-03-05T05:40:00+08:00"),
        Column("published_date", "date", False, "the day the post was published, where the source gives no time "
               "(YouTube Studio); when both are given the partition day comes from published_at", "2026-03-05"),
        Column("post_text", "text", False, "caption, title or text", "今日分享 #美妆#"),
        Column("media_type", "code", False, "video, image, carousel, live, article or the source's own word", "video"),
        Column("url", "text", False, "the post's permalink", "https://www.instagram.com/p/600796337364/"),
        Column("duration_s", "int", False, "length of a video or live stream in seconds", "687"),
    ), key=("platform", "post_id"), day_from=("published_at", "published_date"),
        meaning="one row per post, landed on the UTC day it was published",
        one_of=(("published_at", "published_date"),)),
    Entity("post_metrics", (
        *_kol("the platform's account id of the KOL who published the post"),
        Column("post_id", "id", True, "the platform's id of the post", "1772660435000000"),
        Column("snapshot_date", "date", True, "the day whose end the counters describe", "2026-03-10"),
        Column("views", "count", False, "views, plays or reads (impressions where that is all the source has); "
               "`10万+` lands as its floor, 100000", "10万+"),
        Column("likes", "count", False, "likes (点赞)", "431"),
        Column("comments", "count", False, "comments (评论, 留言)", "66"),
        Column("shares", "count", False, "shares, reposts, retweets (转发, 分享)", "22"),
        Column("saves", "count", False, "saves, favourites, collects (收藏)", "94"),
    ), key=("platform", "post_id", "snapshot_date"), day_from=("snapshot_date",),
        meaning="one row per post and day: the post's running totals at the end of the day"),
    Entity("comments", (
        *_kol("the platform's account id of the KOL whose post was commented on"),
        Column("post_id", "id", True, "the platform's id of the post commented on", "1772660435000000"),
        Column("comment_id", "id", True, "the platform's id of the comment", "5012345678901234"),
        Column("commenter_id", "id", True, "the platform's id of the person who wrote it; the KOL's own "
               "account_id for the KOL's replies (kept, so reply rates can be computed); anyone else's is "
               "pseudonymised", "7712340001", pii="id"),
        *_handle("commenter", "user_2024", "commenter"),
        Column("commented_at", "timestamp", True, "when the comment was written", "2026-03-05T09:12:44Z"),
        Column("comment_text", "text", False, "the comment", "请问色号是多少？"),
        Column("parent_comment_id", "id", False, "the comment this one answers, for replies", "5012345678900001"),
    ), key=("platform", "comment_id"), day_from=("commented_at",),
        meaning="one row per comment or reply, landed on the UTC day it was written"),
    Entity("audience", (
        *_kol("the platform's account id of the KOL the follower follows"),
        Column("snapshot_date", "date", True, "the day the follower sample was taken", "2026-03-10"),
        Column("follower_id", "id", True, "the platform's id of the follower (on TikTok, which has none, the "
               "username); pseudonymised", "7712340001", pii="id"),
        Column("follower_followers", "count", True, "the follower's own follower count", "12"),
        Column("follower_following", "count", True, "how many accounts the follower follows", "4,870"),
        Column("follower_posts_count", "count", True, "how many posts the follower has published", "0"),
        Column("has_avatar", "bool", True, "whether the follower has a picture of its own (not the default)", "false"),
        Column("bio_length", "int", True, "characters in the follower's bio (0: no bio)", "0"),
        *_handle("follower", "user83920571", "follower"),
        Column("is_private", "bool", False, "whether the follower's account is private", "false"),
        Column("follower_created_at", "timestamp_or_date", False, "when the follower's account was created",
               "2026-02-27"),
    ), key=("platform", "account_id", "snapshot_date", "follower_id"), day_from=("snapshot_date",),
        meaning="a sample of follower profiles: one row per follower, KOL and day"),
    Entity("commerce", (
        *_kol("the platform's account id of the KOL who sold"),
        Column("post_id", "id", True, "the sponsored post or live stream the sales came through", "1773103792000702"),
        Column("kind", "code", True, "sponsored_post or live_stream (or the source's own word)", "live_stream"),
        Column("brand", "text", False, "the brand sold", "小米"),
        Column("day", "date", True, "the day the post or live stream was published", "2026-03-10"),
        Column("product_url", "text", False, "the product's page", "https://shop.example/bilibili/86286509"),
        Column("impressions", "count", False, "impressions of the product", "8740"),
        Column("clicks", "count", False, "clicks through to the product", "266"),
        Column("orders", "count", False, "orders placed", "23"),
        Column("gmv", "money", False, "gross merchandise value, in `currency`", "4546.34"),
        Column("currency", "currency", False, "ISO 4217 code of gmv", "CNY"),
    ), key=("platform", "post_id", "day"), day_from=("day",),
        meaning="one row per sponsored post or live stream: what it sold (a brand-collaboration dashboard's export)"),
)}

def content_schema(entity: str) -> pa.Schema:
    """What validation makes of a unified entity's rows: its columns, then ``_extras``."""
    try:
        spec = UNIFIED[entity]
    except KeyError:
        raise ValueError(f"no unified entity {entity!r}; entities: {', '.join(ENTITIES)}") from None
    fields = [c.arrow_field for c in spec.columns] + [pa.field(EXTRAS_COLUMN, pa.string())]
    return pa.schema(fields).with_metadata({"kol.schema_version": FORMAT_VERSION, "kol.platform": SOURCE,
                                            "kol.entity": entity})


def landed_schema(entity: str) -> pa.Schema:
    """The landed contract of a unified entity: its columns, ``_extras``, then ``_loaded_at`` (when
    the file was landed, stamped by ``landing.write_slice``, as in the platforms' lake)."""
    return content_schema(entity).append(LOADED_AT_FIELD)
