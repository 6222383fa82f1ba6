"""Pseudonymisation of followers and commenters before anything is written.

KOLs are public figures and keep their ids and handles. The people who follow them
or comment on them are not: their ids and handles are replaced by a keyed hash
(HMAC-SHA256 with ``KOL_PSEUDONYM_KEY``), so that the same person gets the same
pseudonym in every slice (repeat commenters, pods across KOLs stay countable) while
nobody can recover who they are without the key. What later rules need from a handle
(its length and its count of digits, signals of generated accounts) is derived first.

A schema marks the fields to protect with field metadata:

    pa.field("user_id", pa.string(), metadata=PII_ID)          # replaced by its pseudonym
    pa.field("screen_name", pa.string(), metadata=PII_HANDLE)  # replaced, after deriving
                                                               # screen_name_length and
                                                               # screen_name_digit_count

Landing applies it to every value that is not one of the tracked KOLs' own ids or handles,
so a KOL's reply to a comment keeps the KOL's id and the reply rate stays computable. A
row's person is its first id column: where that is a KOL, its handles stay too.
"""
from __future__ import annotations

import hashlib
import hmac
import os
from functools import lru_cache

import pyarrow as pa
import pyarrow.compute as pc

PII_KEY = b"kol.pii"
PII_ID = {PII_KEY: b"id"}
PII_HANDLE = {PII_KEY: b"handle"}
# A URL that can embed the person's id (avatars): the id inside it is replaced by its pseudonym,
# so that what the URL says about the account (a platform's default avatar) survives.
PII_URL = {PII_KEY: b"url"}
ENV_KEY = "KOL_PSEUDONYM_KEY"
# The demo world's key; a real deployment sets its own and keeps it secret.
DEMO_KEY = "demo-pseudonym-key-not-secret"
PREFIX = "p_"  # pseudonyms are recognisable as such


def pseudonym_key() -> bytes:
    return os.environ.get(ENV_KEY, DEMO_KEY).encode("utf-8")


@lru_cache(maxsize=8)
def _keyed_hmac(key: bytes) -> "hmac.HMAC":
    # The key's HMAC state, prepared once: a copy of it is a third of the cost of a new HMAC.
    return hmac.new(key, digestmod=hashlib.sha256)


def pseudonymise(value: str, platform: str, key: bytes | None = None) -> str:
    """The same value on the same platform always gets the same pseudonym (HMAC-SHA256)."""
    digest = _keyed_hmac(key or pseudonym_key()).copy()
    digest.update(f"{platform}\x1f{value}".encode("utf-8"))
    return PREFIX + digest.hexdigest()[:24]


# Keys that name a person in the platforms' payloads; in a quarantined follower or commenter
# record their values are pseudonymised too, so the quarantine holds no raw follower id either.
PERSON_KEYS = frozenset({
    "id", "idstr", "uid", "user_id", "userid", "mid", "open_id", "openid", "union_id", "author_id", "from_id",
    "comment_user_id",
    "screen_name", "name", "username", "nickname", "uname", "display_name", "authorDisplayName", "value",
    "in_reply_to_user_id", "channelId", "subscriberChannelId", "title", "authorChannelUrl", "authorProfileImageUrl",
    "profile_image_url", "profile_picture_url", "avatar_url", "headimgurl", "thumbnailUrl", "face", "avatar",
})


def scrub(payload: object, platform: str, keep: frozenset[str] | set[str] = frozenset(),
          key: bytes | None = None) -> object:
    """A copy of a raw follower or commenter payload with every person-naming value pseudonymised,
    wherever else it appears too (inside an avatar URL, say)."""
    key = key or pseudonym_key()
    found: dict[str, str] = {}

    def names(obj: object) -> object:
        if isinstance(obj, dict):
            out = {}
            for k, v in obj.items():
                if k in PERSON_KEYS and isinstance(v, (str, int)) and not isinstance(v, bool) and str(v) not in keep:
                    out[k] = found.setdefault(str(v), pseudonymise(str(v), platform, key))
                else:
                    out[k] = names(v)
            return out
        if isinstance(obj, list):
            return [names(v) for v in obj]
        return obj

    def inside(obj: object) -> object:
        if isinstance(obj, dict):
            return {k: inside(v) for k, v in obj.items()}
        if isinstance(obj, list):
            return [inside(v) for v in obj]
        if isinstance(obj, str) and obj not in found.values():
            for raw, alias in found.items():
                if len(raw) >= 4 and raw in obj:
                    obj = obj.replace(raw, alias)
        return obj

    return inside(names(payload))


def pii_kind(field: pa.Field) -> str | None:
    meta = field.metadata or {}
    kind = meta.get(PII_KEY)
    return kind.decode() if kind else None


def derived_handle_fields(field: pa.Field) -> list[pa.Field]:
    """The features a handle leaves behind once it is pseudonymised."""
    return [pa.field(f"{field.name}_length", pa.int32()), pa.field(f"{field.name}_digit_count", pa.int32())]


def protect(table: pa.Table, platform: str, keep: set[str] | frozenset[str] = frozenset(),
            key: bytes | None = None) -> pa.Table:
    """Replace every PII column's values (but those in ``keep``, the KOLs' own) by pseudonyms;
    for handles, add their length and digit count first. Vectorised but for the HMAC itself."""
    key = key or pseudonym_key()
    kinds = {field.name: pii_kind(field) for field in table.schema}
    # Ids and handles inside URLs first, while the raw values are still there to look for.
    people = [c for c, k in kinds.items() if k in ("id", "handle")]
    for name in [c for c, k in kinds.items() if k == "url"]:
        rows = zip(table.column(name).to_pylist(), *(table.column(c).to_pylist() for c in people))
        urls = []
        for url, *names in rows:
            for raw in names:
                if url and raw and raw not in keep and len(raw) >= 4 and raw in url:
                    url = url.replace(raw, pseudonymise(raw, platform, key))
            urls.append(url)
        table = table.set_column(table.schema.get_field_index(name), table.schema.field(name), pa.array(urls, pa.string()))
    # A row's person is its first id column (the author, the follower): where that is a KOL,
    # the row's handles are the KOL's own and stay as they are.
    identity = next((c for c, k in kinds.items() if k == "id"), None)
    kol_rows = ([v is not None and v in keep for v in table.column(identity).to_pylist()]
                if identity is not None else [False] * table.num_rows)
    for i, field in enumerate(table.schema):
        kind = pii_kind(field)
        if kind not in ("id", "handle"):
            continue
        column = table.column(i)
        values = column.to_pylist()
        if kind == "handle":
            length = pc.utf8_length(column).cast(pa.int32())
            digits = pc.utf8_length(pc.replace_substring_regex(column, r"[^0-9]", "")).cast(pa.int32())
            for new_field, array in zip(derived_handle_fields(field), (length, digits)):
                if new_field.name not in table.column_names:
                    table = table.append_column(new_field, array)
        cache: dict[str, str] = {}  # a commenter who comments ten times is hashed once

        def pseudonym(v: str) -> str:
            p = cache.get(v)
            if p is None:
                p = cache[v] = pseudonymise(v, platform, key)
            return p

        protected = [v if v is None or v in keep or (kind == "handle" and is_kol) else pseudonym(v)
                     for v, is_kol in zip(values, kol_rows)]
        table = table.set_column(i, field, pa.array(protected, pa.string()))
    return table
