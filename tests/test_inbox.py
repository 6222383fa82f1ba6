"""File drops: the nine platforms' dashboard exports, commerce.csv and the unified format,
dropped in an inbox and landed, quarantined or rejected like API pulls. Real files only:
the demo world writes the exports, the tests write unified files by hand."""
from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, datetime, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ingestion import inbox as ib
from ingestion.demo.generate import generate_day
from ingestion.demo.world import PLATFORMS, World
from ingestion.inbox_schema import ENTITIES, UNIFIED, landed_schema
from ingestion.privacy import pseudonymise

ROOT = Path(__file__).resolve().parents[1]
DAY = date(2026, 3, 10)
NOW = datetime(2026, 3, 11, 6, 0, tzinfo=timezone.utc)  # the morning after: every export day is over


@pytest.fixture(scope="module")
def exports(tmp_path_factory) -> dict[str, dict[str, bytes]]:
    """Each platform's dashboard export and commerce.csv for DAY, as the demo writes them."""
    out = tmp_path_factory.mktemp("exports")
    world = World(seed=7, preset="tiny")
    files: dict[str, dict[str, bytes]] = {}
    for platform in PLATFORMS:
        generate_day(world, platform, DAY, out, interactions=False)
        folder = out / platform / f"dt={DAY}"
        files[platform] = {p.name: p.read_bytes() for p in folder.iterdir()}
    return files


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    path = tmp_path / "inbox"
    path.mkdir()
    return path


def drop(inbox: Path, name: str, payload: bytes | str) -> Path:
    path = inbox / name
    path.write_bytes(payload.encode("utf-8") if isinstance(payload, str) else payload)
    return path


def run(inbox: Path, lake: Path) -> dict[str, ib.FileReport]:
    return {r.file: r for r in ib.process_inbox(inbox, lake, now=NOW)}


def unified_csv(rows: list[dict], columns: list[str] | None = None) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns or list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def landed(lake: Path, entity: str) -> list[dict]:
    rows = []
    for path in sorted((lake / "raw" / "files" / entity).glob("dt=*/*.parquet")):
        table = pq.read_table(path)
        assert table.schema.equals(landed_schema(entity), check_metadata=False)
        rows += table.to_pylist()
    return rows


def quarantined(lake: Path, entity: str) -> list[dict]:
    return [json.loads(line) for path in sorted((lake / "quarantine" / "files" / entity).glob("dt=*/*.jsonl"))
            for line in path.read_text(encoding="utf-8").splitlines()]


def manifests(lake: Path) -> list[dict]:
    found = sorted((lake / "raw" / "files").glob("*/dt=*/_manifest-*.json"))
    return [json.loads(p.read_text(encoding="utf-8")) for p in found]


def assert_balanced(lake: Path) -> None:
    found = manifests(lake)
    assert found
    for m in found:
        assert m["fetched"] == m["landed"] + m["quarantined"] + m["duplicates"], m
        assert m["landed"] == pq.read_metadata(m["path"]).num_rows
        for counts in m["file_accounting"].values():
            assert counts["fetched"] == counts["landed"] + counts["quarantined"] + counts["duplicates"]


# ------------------------------------------------------------------ platform exports


def test_the_dashboard_exports_of_all_nine_platforms_land_with_balanced_accounting(exports, inbox, lake):
    rows_in_file = {}
    for platform, files in exports.items():
        for name, payload in files.items():
            if name.endswith(".csv") and name != "commerce.csv":
                drop(inbox, name, payload)
                text = payload.decode("utf-8-sig")
                rows_in_file[name] = (platform, len(list(csv.reader(io.StringIO(text)))) - 1)
    reports = run(inbox, lake)
    assert set(reports) == set(rows_in_file) and len(reports) == 9
    for name, (platform, n) in rows_in_file.items():
        r = reports[name]
        assert (r.status, r.kind, r.problems) == ("landed", f"{platform} export", []), r.line()
        expected = n - (1 if platform == "youtube" else 0)  # Studio's Total row is not a video
        for entity in ("posts", "post_metrics"):
            c = r.entities[entity]
            assert (c.fetched, c.landed, c.quarantined, c.duplicates) == (expected, expected, 0, 0), (name, entity)
        assert Path(r.moved_to) == inbox / "processed" / NOW.date().isoformat() / name
    assert reports["youtube_studio_content_2026-03-10.csv"].skipped == {"summary": 1}
    assert_balanced(lake)
    posts, metrics = landed(lake, "posts"), landed(lake, "post_metrics")
    assert {r["platform"] for r in posts} == set(PLATFORMS) == {r["platform"] for r in metrics}
    assert {r["snapshot_date"] for r in metrics} == {DAY}
    assert not list(inbox.glob("*.csv")) and not (inbox / "rejected").exists()


def test_each_platforms_quirks_are_parsed(exports, inbox, lake):
    for platform in ("weibo", "bilibili", "youtube", "x", "wechat"):
        for name, payload in exports[platform].items():
            if name != "commerce.csv":
                drop(inbox, name, payload)
    run(inbox, lake)
    posts = {(r["platform"], r["post_id"]): r for r in landed(lake, "posts")}
    metrics = {(r["platform"], r["post_id"]): r for r in landed(lake, "post_metrics")}
    text = exports["weibo"][f"weibo_content_{DAY}.csv"].decode("utf-8-sig")
    weibo = list(csv.DictReader(io.StringIO(text)))
    for row in weibo:
        # Beijing time in the export, UTC in the lake; each post in the partition of its UTC day.
        local = datetime.strptime(row["发布时间"], "%Y-%m-%d %H:%M").replace(tzinfo=ib.CST)
        post = posts[("weibo", row["微博ID"])]
        assert post["published_at"] == local.astimezone(timezone.utc)
        m = metrics[("weibo", row["微博ID"])]
        assert m["views"] == (100_000 if row["阅读数"] == "10万+" else int(row["阅读数"]))
        assert (m["likes"], m["shares"], m["comments"]) == (int(row["点赞数"]), int(row["转发数"]), int(row["评论数"]))
    assert any(row["阅读数"] == "10万+" for row in weibo)  # the planted mega-influencers' reads are capped
    for path in (lake / "raw" / "files" / "posts").glob("dt=*/weibo_*.parquet"):
        day = date.fromisoformat(path.parent.name[3:])
        assert {ts.date() for ts in pq.read_table(path).column("published_at").to_pylist()} == {day}
    bili_text = exports["bilibili"][f"bilibili_archives_{DAY}.csv"].decode("utf-8-sig")
    bili = next(csv.DictReader(io.StringIO(bili_text)))
    minutes, seconds = bili["时长"].split(":")
    post = posts[("bilibili", bili["AV号"])]
    assert post["duration_s"] == int(minutes) * 60 + int(seconds) and json.loads(post["_extras"])["BV号"] == bili["BV号"]
    assert json.loads(metrics[("bilibili", bili["AV号"])]["_extras"]) == {"弹幕": bili["弹幕"], "投币": bili["投币"]}
    yt = [p for p in posts.values() if p["platform"] == "youtube"]
    assert all(p["published_at"] is None and p["published_date"] <= DAY for p in yt)  # Studio gives a date only
    x = next(r for r in csv.DictReader(io.StringIO(exports["x"][f"x_tweet_activity_{DAY}.csv"].decode())))
    assert posts[("x", x["Tweet id"])]["published_at"] == datetime.strptime(x["time"], "%Y-%m-%d %H:%M %z")
    assert {p["media_type"] for p in posts.values() if p["platform"] == "wechat"} == {"article"}


def test_commerce_csv_is_recognised_by_its_header_and_lands(exports, inbox, lake):
    for platform in PLATFORMS:
        drop(inbox, f"commerce_{platform}_{DAY}.csv", exports[platform]["commerce.csv"])
    reports = run(inbox, lake)
    assert {r.kind for r in reports.values()} == {"commerce export"}
    rows = landed(lake, "commerce")
    expected = sum(len(exports[p]["commerce.csv"].decode().strip().splitlines()) - 1 for p in PLATFORMS)
    assert len(rows) == expected > 0
    assert {r["currency"] for r in rows} == {"CNY", "USD"} and all(r["day"] == DAY for r in rows)
    assert_balanced(lake)


def test_an_export_without_a_date_in_its_name_takes_a_snapshot_date_column(exports, inbox, lake):
    text = exports["tiktok"][f"tiktok_content_{DAY}.csv"].decode()
    lines = text.splitlines()
    lines = [lines[0] + ",snapshot_date"] + [line + f",{DAY}" for line in lines[1:]]
    drop(inbox, "tiktok studio export.csv", "\r\n".join(lines) + "\r\n")
    r = run(inbox, lake)["tiktok studio export.csv"]
    assert r.status == "landed" and r.entities["post_metrics"].landed == len(lines) - 1
    assert {m["snapshot_date"] for m in landed(lake, "post_metrics")} == {DAY}
    assert (lake / "raw/files/post_metrics" / f"dt={DAY}").glob("tiktok_studio_export-*.parquet")


# ------------------------------------------------------------------ the unified format


def unified_examples() -> dict[str, list[dict]]:
    """Two good rows per entity, from the examples of the format itself and variations."""
    rows = {}
    for entity, spec in UNIFIED.items():
        first = {c.name: c.example for c in spec.columns}
        second = dict(first)
        for key in spec.key:
            if key not in ("platform", "snapshot_date", "day", "account_id"):
                second[key] = first[key] + "9"
        if entity in ("profiles", "audience"):
            second["account_id"] = first["account_id"] + "9"
        rows[entity] = [first, second]
    return rows


@pytest.mark.parametrize("entity", ENTITIES)
def test_a_unified_csv_of_each_entity_lands(entity, inbox, lake):
    rows = unified_examples()[entity]
    drop(inbox, f"{entity}__from_my_tool.csv", unified_csv(rows))
    r = run(inbox, lake)[f"{entity}__from_my_tool.csv"]
    assert (r.status, r.kind, r.problems) == ("landed", f"unified {entity}", []), r.line()
    assert r.entities[entity].landed == 2 and r.balanced
    out = landed(lake, entity)
    assert len(out) == 2
    assert_balanced(lake)


def test_unified_values_are_parsed_to_the_contracts_types(inbox, lake):
    examples = unified_examples()
    for entity in ("profiles", "posts", "comments", "commerce"):
        drop(inbox, f"{entity}__x.csv", unified_csv(examples[entity]))
    run(inbox, lake)
    profile = landed(lake, "profiles")[0]
    counts = (profile["followers"], profile["following"], profile["posts_count"], profile["verified"])
    assert counts == (12000, 311, 1024, True)
    assert profile["created_at"] == datetime(2015, 6, 1, tzinfo=timezone.utc)
    post = next(p for p in landed(lake, "posts") if p["post_id"] == "1772660435000000")
    assert post["published_at"] == datetime(2026, 3, 4, 21, 40, tzinfo=timezone.utc)
    assert (lake / "raw/files/posts/dt=2026-03-04").is_dir()  # the UTC day of publication
    comment = landed(lake, "comments")[0]
    assert comment["commented_at"] == datetime(2026, 3, 5, 9, 12, 44, tzinfo=timezone.utc)
    assert (comment["commenter_handle_length"], comment["commenter_handle_digit_count"]) == (9, 4)
    assert str(landed(lake, "commerce")[0]["gmv"]) == "4546.3400"


def test_a_unified_parquet_file_lands_like_a_csv(inbox, lake):
    table = pa.table({
        "platform": ["douyin", "douyin"], "account_id": ["_000abc", "_000abc"], "snapshot_date": [DAY, DAY],
        "follower_id": ["f-1001", "f-1002"], "follower_followers": [3, 150], "follower_following": [4870, 90],
        "follower_posts_count": [0, 12], "has_avatar": [False, True], "bio_length": [0, 42],
        "follower_created_at": pa.array([datetime(2026, 2, 27, tzinfo=timezone.utc), None], pa.timestamp("us", "UTC")),
    })
    pq.write_table(table, inbox / "audience__sample.parquet")
    r = run(inbox, lake)["audience__sample.parquet"]
    assert (r.status, r.entities["audience"].landed) == ("landed", 2), r.line()
    rows = sorted(landed(lake, "audience"), key=lambda x: x["follower_followers"])
    assert rows[0]["follower_id"] == pseudonymise("f-1001", "douyin") and rows[0]["has_avatar"] is False


def test_audience_rows_with_missing_optional_fields_land(inbox, lake):
    base = {"platform": "weibo", "account_id": "5089007929", "snapshot_date": str(DAY), "follower_followers": "3",
            "follower_following": "2,310", "follower_posts_count": "0", "has_avatar": "否", "bio_length": "0"}
    rows = [
        {**base, "follower_id": "f1", "follower_handle": "user83920571", "is_private": "true",
         "follower_created_at": "2026-02-27"},
        # only the handle's features, no handle; no private flag; no creation date
        {**base, "follower_id": "f2", "follower_handle_length": "12", "follower_handle_digit_count": "8"},
        {**base, "follower_id": "f3"},  # none of the optional fields
    ]
    columns = list(base) + ["follower_id", "follower_handle", "follower_handle_length", "follower_handle_digit_count",
                            "is_private", "follower_created_at"]
    drop(inbox, "audience__agency_sample.csv", unified_csv(rows, columns))
    drop(inbox, "audience__minimal.csv", unified_csv([{**base, "follower_id": "f4"}]))  # optional columns absent
    reports = run(inbox, lake)
    assert all(r.status == "landed" and not r.problems for r in reports.values()), [r.line() for r in reports.values()]
    got = {r["follower_id"]: r for r in landed(lake, "audience")}
    f1, f2, f3, f4 = (got[pseudonymise(f, "weibo")] for f in ("f1", "f2", "f3", "f4"))
    assert (f1["follower_handle_length"], f1["follower_handle_digit_count"], f1["is_private"]) == (12, 8, True)
    assert f1["follower_created_at"] == datetime(2026, 2, 27, tzinfo=timezone.utc)
    assert f1["follower_handle"] == pseudonymise("user83920571", "weibo")
    assert (f2["follower_handle"], f2["follower_handle_length"], f2["follower_handle_digit_count"]) == (None, 12, 8)
    for row in (f2, f3, f4):
        assert row["is_private"] is None and row["follower_created_at"] is None
    assert (f3["follower_handle_length"], f4["follower_handle"]) == (None, None)
    assert (f3["follower_following"], f3["has_avatar"]) == (2310, False)


# ------------------------------------------------------------------ bad files


def gbk_export(exports) -> bytes:
    return exports["weibo"][f"weibo_content_{DAY}.csv"].decode("utf-8-sig").encode("gb18030")


BAD_FILES = {
    # name: (payload or a function of the exports, words the error must hold)
    "weibo_content_2026-03-10.csv": (gbk_export, ["not UTF-8", "line 1", "GB18030", "CSV UTF-8"]),
    "posts__broken_quotes.csv": ('platform,account_id,post_id,published_at\nweibo,1,2,"2026-03-05T00:00:00Z\n'
                                 'weibo,1,3,2026-03-05T00:00:00Z\n', ["malformed CSV", "line"]),
    "posts__stray_quote.csv": ('platform,account_id,post_id,published_at\nweibo,1,"2"x,2026-03-05T00:00:00Z\n',
                               ["malformed CSV on line 2"]),
    "posts__empty.csv": (b"", ["empty"]),
    "posts__only_a_bom.csv": (b"\xef\xbb\xbf\r\n", ["empty"]),
    "excel_unicode.csv": ("a,b\n1,2\n".encode("utf-16"), ["UTF-16"]),
    "binary.csv": (b"PK\x03\x04" + bytes(range(0, 40)), ["not a text file"]),
    "mystery.csv": ("name,followers,when\nalice,3,today\n", ["unknown header", "<entity>__"]),
    "audience__no_follower_id.csv": ("platform,account_id,snapshot_date,follower_followers\nweibo,1,2026-03-10,3\n",
                                     ["lacks the required column(s)", "follower_id", "follower_following"]),
    "followers__x.csv": ("platform,account_id\nweibo,1\n", ["not an entity", "audience"]),
    "posts__table.xlsx": (b"PK\x03\x04 not a spreadsheet we read", ["not a .csv or .parquet"]),
    "audience__fake.parquet": ("platform,account_id\nweibo,1\n", ["not a readable Parquet file"]),
    "douyin works.csv": (lambda e: e["douyin"][f"douyin_works_{DAY}.csv"], ["which day", "snapshot_date"]),
    "posts__dupe_header.csv": ("platform,account_id,post_id,post_id,published_at\n", ["appears twice"]),
}


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_a_bad_file_is_rejected_with_a_clear_error_and_the_others_land(name, exports, inbox, lake):
    payload, words = BAD_FILES[name]
    payload = payload(exports) if callable(payload) else payload
    drop(inbox, name, payload)
    good = f"x_tweet_activity_{DAY}.csv"
    drop(inbox, good, exports["x"][good])
    reports = run(inbox, lake)
    bad = reports[name]
    assert bad.status == "rejected", bad.line()
    for word in words:
        assert word in bad.error, (word, bad.error)
    assert "fix:" in bad.error and name in bad.line()
    moved = inbox / "rejected" / name
    assert moved.read_bytes() == (payload.encode() if isinstance(payload, str) else payload)  # kept as it came
    note = (inbox / "rejected" / f"{name}.error.txt").read_text(encoding="utf-8")
    assert f"file: {name}" in note and "problem: " in note and "fix: " in note and words[0] in note
    assert not (inbox / name).exists()
    assert reports[good].status == "landed" and reports[good].entities["posts"].landed > 0
    assert not list((lake / "raw" / "files").glob(f"*/dt=*/{ib.safe_stem(name)}-*"))


HOSTILE_NAMES = ["bad\nname.csv", "tab\there.csv", "evil\u202evsc.csv", "bell\x07.csv", "x" * 250 + ".csv"]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_a_hostile_file_name_is_refused_and_moved_under_a_safe_name(name, inbox, lake):
    drop(inbox, name, unified_csv(unified_examples()["posts"]))
    drop(inbox, "posts__fine.csv", unified_csv(unified_examples()["posts"]))
    reports = run(inbox, lake)
    r = reports[name]
    assert r.status == "rejected" and ("unsafe file name" in r.error or "long" in r.error)
    assert "\n" not in r.line() and "\t" not in r.line()  # one line per file, whatever the name
    rejected = [p.name for p in (inbox / "rejected").iterdir()]
    assert len(rejected) == 2 and all(n.isprintable() and len(n.encode()) <= 255 for n in rejected)
    note = next(p for p in (inbox / "rejected").iterdir() if p.name.endswith(".error.txt"))
    assert ib._shown(name)[:60] in note.read_text(encoding="utf-8")
    assert reports["posts__fine.csv"].status == "landed"
    assert len(landed(lake, "posts")) == 2  # only the good file's rows


@pytest.mark.parametrize("name", ["../x.csv", "a/../../x.csv", "x\x00.csv", "..", ".", "", "dir/x.csv", ".hidden.csv"])
def test_names_that_reach_outside_a_file_are_refused(name):
    with pytest.raises(ib.Rejected):
        ib.check_name(name)


def test_a_path_outside_the_inbox_is_refused_and_left_untouched(tmp_path, inbox, lake):
    outside = tmp_path / "x.csv"
    outside.write_text(unified_csv(unified_examples()["posts"]))
    for path in (inbox / ".." / "x.csv", outside, Path(str(inbox) + "/../x.csv")):
        r = ib.process_file(path, inbox, lake, now=NOW)
        assert r.status == "refused" and "not a file directly inside the inbox" in r.error
    assert outside.exists() and not lake.exists() and not (inbox / "rejected").exists()


def test_a_symbolic_link_is_rejected_without_following_it(tmp_path, inbox, lake):
    secret = tmp_path / "secret.csv"
    secret.write_text(unified_csv(unified_examples()["posts"]))
    (inbox / "posts__link.csv").symlink_to(secret)
    r = run(inbox, lake)["posts__link.csv"]
    assert r.status == "rejected" and "symbolic link" in r.error
    assert secret.exists() and (inbox / "rejected" / "posts__link.csv").is_symlink() and not lake.exists()


def test_hidden_files_and_downloads_in_progress_are_left_alone(inbox, lake):
    for name in (".posts__copying.csv", "posts__x.csv.crdownload", "posts__y.csv.part"):
        drop(inbox, name, "partial")
    (inbox / "some_folder").mkdir()
    assert run(inbox, lake) == {}
    assert {p.name for p in inbox.iterdir()} >= {".posts__copying.csv", "posts__x.csv.crdownload", "posts__y.csv.part"}


# ------------------------------------------------------------------ bad rows

GOOD_COMMENT = {"platform": "weibo", "account_id": "5089007929", "post_id": "1772660435000000",
                "comment_id": "c-good-1", "commenter_id": "7712340001", "commenter_handle": "user_2024",
                "commented_at": "2026-03-05T09:12:44Z", "comment_text": "请问色号是多少？", "parent_comment_id": ""}
GOOD_AUDIENCE = {"platform": "weibo", "account_id": "5089007929", "snapshot_date": str(DAY), "follower_id": "9911",
                 "follower_followers": "12", "follower_following": "4,870", "follower_posts_count": "0",
                 "has_avatar": "false", "bio_length": "0"}
BAD_ROWS = {
    # case: (entity, changes to the good row, column the reason names, words of the reason)
    "wrong type": ("audience", {"follower_followers": "many"}, "follower_followers", ["not a count"]),
    "wrong bool": ("audience", {"has_avatar": "maybe"}, "has_avatar", ["not true or false"]),
    "missing required value": ("audience", {"follower_id": ""}, "follower_id", ["required but empty"]),
    "negative count": ("audience", {"follower_following": "-5"}, "follower_following", ["negative"]),
    "negative length": ("audience", {"bio_length": "-1"}, "bio_length", ["negative"]),
    "far future": ("comments", {"commented_at": "2031-01-01T00:00:00Z"}, "commented_at", ["in the future"]),
    "before 2000": ("comments", {"commented_at": "1999-12-31T23:00:00Z"}, "commented_at", ["before 2000"]),
    "future date": ("audience", {"snapshot_date": "2027-01-01"}, "snapshot_date", ["in the future"]),
    "no time zone": ("comments", {"commented_at": "2026-03-05 09:12:44"}, "commented_at", ["no time zone"]),
    "not a time": ("comments", {"commented_at": "yesterday"}, "commented_at", ["not an ISO-8601 time"]),
    "unknown platform": ("comments", {"platform": "myspace"}, "platform", ["not a platform"]),
    "oversized field": ("comments", {"comment_text": "啊" * 10_001}, "comment_text", ["10,001 characters"]),
    "spreadsheet-mangled id": ("comments", {"post_id": "1.77266E+15"}, "post_id", ["spreadsheet shortened"]),
    "newline in an id": ("comments", {"comment_id": "c-\n-1"}, "comment_id", ["control characters"]),
}


@pytest.mark.parametrize("case", list(BAD_ROWS))
def test_a_bad_row_is_quarantined_with_its_reason_and_the_good_rows_land(case, inbox, lake):
    entity, change, column, words = BAD_ROWS[case]
    good = GOOD_COMMENT if entity == "comments" else GOOD_AUDIENCE
    key = "comment_id" if entity == "comments" else "follower_id"
    rows = [dict(good), {**good, **change, **({key: good[key] + "-bad"} if key not in change else {})},
            {**good, key: good[key] + "-2"}]
    name = f"{entity}__with_a_bad_row.csv"
    drop(inbox, name, unified_csv(rows))
    drop(inbox, "posts__other.csv", unified_csv(unified_examples()["posts"]))
    reports = run(inbox, lake)
    r = reports[name]
    assert r.status == "landed" and r.entities[entity].landed == 2 and r.entities[entity].quarantined == 1, r.line()
    assert len(r.problems) == 1 and f"{name}, row 3: " in r.problems[0] and column in r.problems[0]
    assert reports["posts__other.csv"].entities["posts"].landed == 2  # other files unaffected
    (q,) = quarantined(lake, entity)
    assert (q["file"], q["row"], q["line"], q["column"], q["entity"]) == (name, 3, 3, column, entity)
    for word in words:
        assert word in q["reason"], q["reason"]
    assert len(landed(lake, entity)) == 2
    assert_balanced(lake)


def test_repeats_of_a_natural_key_count_as_duplicates(inbox, lake):
    rows = [dict(GOOD_AUDIENCE), {**GOOD_AUDIENCE, "follower_followers": "13"}, {**GOOD_AUDIENCE, "follower_id": "2"}]
    drop(inbox, "audience__dupes.csv", unified_csv(rows))
    r = run(inbox, lake)["audience__dupes.csv"]
    c = r.entities["audience"]
    assert (c.fetched, c.landed, c.quarantined, c.duplicates) == (3, 2, 0, 1)
    assert "row 2: its key (platform, account_id, snapshot_date, follower_id) comes again in row 3" in r.problems[0]
    (m,) = manifests(lake)
    assert (m["duplicates"], m["duplicate_rows"]) == (1, [2])
    assert sorted(x["follower_followers"] for x in landed(lake, "audience")) == [12, 13]  # the last repeat wins


def test_rows_of_the_wrong_length_are_quarantined_and_the_rest_land(inbox, lake):
    text = unified_csv([GOOD_COMMENT, {**GOOD_COMMENT, "comment_id": "c2"}]) + "weibo,1,2\n" + \
        "weibo,5089007929,p,c9,u9,h9,2026-03-05T00:00:00Z,hi,,surplus\n"
    drop(inbox, "comments__ragged.csv", text)
    r = run(inbox, lake)["comments__ragged.csv"]
    c = r.entities["comments"]
    assert (c.fetched, c.landed, c.quarantined) == (4, 2, 2)
    reasons = sorted(q["reason"] for q in quarantined(lake, "comments"))
    assert reasons == ["has 10 fields, the header has 9", "has 3 fields, the header has 9"]


def test_a_bad_export_row_is_quarantined_naming_the_exports_own_column(exports, inbox, lake):
    name = f"xiaohongshu_notes_{DAY}.csv"
    text = exports["xiaohongshu"][name].decode("utf-8-sig").splitlines()
    cells = text[2].split(",")
    cells[4] = "2026/03/05 8:35"   # a time not in the export's format
    cells[7] = "-3"                 # a negative like count
    text[2] = ",".join(cells)
    drop(inbox, name, ("\ufeff" + "\r\n".join(text) + "\r\n").encode())
    r = run(inbox, lake)[name]
    posts, metrics = r.entities["posts"], r.entities["post_metrics"]
    assert (posts.quarantined, metrics.quarantined) == (1, 1) and posts.landed == metrics.landed == len(text) - 2
    (qp,), (qm,) = quarantined(lake, "posts"), quarantined(lake, "post_metrics")
    assert qp["column"] == "首次发布时间 (published_at)" and "Beijing time" in qp["reason"] and qp["row"] == 3
    assert qm["column"] == "点赞 (likes)" and "negative" in qm["reason"]
    assert qp["payload"]["笔记ID"] == cells[2]
    assert_balanced(lake)


# ------------------------------------------------------------------ idempotency


def test_re_dropping_the_same_file_replaces_it_and_never_doubles_a_row(exports, inbox, lake):
    name = f"weibo_content_{DAY}.csv"
    drop(inbox, name, exports["weibo"][name])
    drop(inbox, "audience__s.csv", unified_csv([GOOD_AUDIENCE, {**GOOD_AUDIENCE, "bio_length": "x",
                                                                "follower_id": "q"}]))
    first = run(inbox, lake)
    files = sorted(p.relative_to(lake) for p in lake.rglob("*") if p.is_file())
    rows = len(landed(lake, "posts")), len(landed(lake, "audience")), len(quarantined(lake, "audience"))
    drop(inbox, name, exports["weibo"][name])
    drop(inbox, "audience__s.csv", unified_csv([GOOD_AUDIENCE, {**GOOD_AUDIENCE, "bio_length": "x",
                                                                "follower_id": "q"}]))
    second = run(inbox, lake)
    assert {k: (r.status, r.entities) for k, r in first.items()} == \
        {k: (r.status, r.entities) for k, r in second.items()}
    assert sorted(p.relative_to(lake) for p in lake.rglob("*") if p.is_file()) == files
    assert (len(landed(lake, "posts")), len(landed(lake, "audience")), len(quarantined(lake, "audience"))) == rows
    processed = inbox / "processed" / NOW.date().isoformat()
    assert {p.name for p in processed.iterdir()} == {name, "audience__s.csv", f"weibo_content_{DAY}-2.csv",
                                                     "audience__s-2.csv"}  # nothing deleted


def test_the_same_content_under_another_name_is_recognised_as_already_landed(exports, inbox, lake):
    name = f"douyin_works_{DAY}.csv"
    drop(inbox, name, exports["douyin"][name])
    run(inbox, lake)
    before = sorted(lake.rglob("*.parquet"))
    drop(inbox, f"douyin_works_{DAY} (1).csv", exports["douyin"][name])
    r = run(inbox, lake)[f"douyin_works_{DAY} (1).csv"]
    assert r.status == "duplicate" and name in r.problems[0]
    assert r.entities["posts"].duplicates == r.entities["posts"].fetched > 0
    assert sorted(lake.rglob("*.parquet")) == before


# ------------------------------------------------------------------ privacy


def test_no_raw_follower_or_commenter_id_or_handle_reaches_the_lake(inbox, lake):
    kol = "5089007929"
    comments = [
        {**GOOD_COMMENT, "comment_id": "c1", "commenter_id": "7712340001", "commenter_handle": "lily_2024",
         "comment_text": "@lily_2024 说得对", "username": "lily_2024", "nickname": "莉莉酱"},
        # the KOL's own reply keeps the KOL's id and handle, so reply rates can be computed
        {**GOOD_COMMENT, "comment_id": "c2", "commenter_id": kol, "commenter_handle": "小鹿00",
         "parent_comment_id": "c1", "comment_text": "谢谢", "username": "", "nickname": ""},
        # quarantined (bad time), with the raw id inside another column
        {**GOOD_COMMENT, "comment_id": "c3", "commenter_id": "8823450002", "commenter_handle": "ghost_1999",
         "commented_at": "2031-01-01T00:00:00Z", "comment_text": "see u/8823450002", "username": "ghost_1999",
         "nickname": ""},
    ]
    audience = [
        {**GOOD_AUDIENCE, "follower_id": "9900112233", "follower_handle": "bot83920571", "note": "bot83920571 x"},
        {**GOOD_AUDIENCE, "follower_id": "9900445566", "follower_handle": "realfan", "follower_followers": "-1",
         "note": "profile: 9900445566"},
    ]
    drop(inbox, "comments__export.csv", unified_csv(comments))
    drop(inbox, "audience__export.csv", unified_csv(audience))
    reports = run(inbox, lake)
    assert all(r.status == "landed" for r in reports.values())
    lines = " ".join(r.line() + " ".join(r.problems) for r in reports.values())
    everything = lines
    for path in lake.rglob("*"):
        if path.suffix == ".parquet":
            everything += json.dumps(pq.read_table(path).to_pylist(), default=str, ensure_ascii=False)
        elif path.is_file():
            everything += path.read_text(encoding="utf-8")
    for raw in ("7712340001", "lily_2024", "莉莉酱", "8823450002", "ghost_1999", "9900112233", "bot83920571",
                "9900445566", "realfan"):
        assert raw not in everything, raw
    assert pseudonymise("7712340001", "weibo") in everything and pseudonymise("9900445566", "weibo") in everything
    rows = {r["comment_id"]: r for r in landed(lake, "comments")}
    assert (rows["c2"]["commenter_id"], rows["c2"]["commenter_handle"]) == (kol, "小鹿00")
    assert rows["c1"]["commenter_handle"] == pseudonymise("lily_2024", "weibo")
    assert (rows["c1"]["commenter_handle_length"], rows["c1"]["commenter_handle_digit_count"]) == (9, 4)
    assert json.loads(rows["c1"]["_extras"])["username"] == pseudonymise("lily_2024", "weibo")


# ------------------------------------------------------------------ docs, settings, CLI


def test_the_document_describes_every_column_and_every_export():
    doc = (ROOT / "docs" / "unified-format.md").read_text(encoding="utf-8")
    for entity, spec in UNIFIED.items():
        section = doc.split(f"### `{entity}`", 1)[1].split("\n### ", 1)[0]
        for column in spec.columns:
            assert re.search(rf"^\| `{column.name}` \| {column.kind} \| {'yes' if column.required else 'no'} \|",
                             section, re.M), (entity, column.name)
    for export in ib.EXPORTS:
        assert export.title in doc and all(c in doc for c in export.header[:3])
    assert "docs/unified-format.md" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_inbox_defaults_to_the_data_dir_and_can_be_set(monkeypatch, tmp_path):
    from ingestion import settings

    monkeypatch.delenv("KOL_INBOX_DIR", raising=False)
    monkeypatch.setenv("KOL_DATA_DIR", str(tmp_path))
    assert settings.inbox_dir() == (tmp_path / "inbox").resolve()
    monkeypatch.setenv("KOL_INBOX_DIR", str(tmp_path / "drops"))
    assert settings.inbox_dir() == (tmp_path / "drops").resolve()


def test_the_cli_prints_one_line_per_file_and_fails_on_a_rejected_file(exports, inbox, lake, monkeypatch, capsys):
    monkeypatch.setenv("KOL_LAKE_DIR", str(lake))
    name = f"wechat_articles_{DAY}.csv"
    drop(inbox, name, exports["wechat"][name])
    assert ib.main(["--inbox", str(inbox)]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    assert line.startswith("landed") and name in line and "wechat export" in line
    drop(inbox, "bad\nname.csv", "x")
    drop(inbox, "posts__empty.csv", "")
    assert ib.main(["--inbox", str(inbox)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and all(line.startswith("rejected") for line in lines)
    assert ib.main(["--inbox", str(inbox)]) == 0
    assert "nothing to process" in capsys.readouterr().out


def test_two_runs_at_once_are_refused(inbox, lake):
    with ib._locked(inbox):
        with pytest.raises(RuntimeError, match="another process"):
            ib.process_inbox(inbox, lake, now=NOW)


def test_the_documented_example_lands(inbox, lake):
    doc = (ROOT / "docs" / "unified-format.md").read_text(encoding="utf-8")
    (example,) = re.findall(r"```csv\n(.*?)```", doc, flags=re.S)
    drop(inbox, "audience__documented.csv", example)
    r = run(inbox, lake)["audience__documented.csv"]
    assert (r.status, r.entities["audience"].landed, r.problems) == ("landed", 2, [])
    rows = sorted(landed(lake, "audience"), key=lambda x: x["follower_followers"])
    big = rows[1]
    assert (big["follower_followers"], big["follower_handle"], big["follower_handle_length"]) == (12000, None, 9)


def test_a_file_with_only_its_header_is_processed_with_nothing_to_land(exports, inbox, lake):
    name = f"douyin_works_{DAY}.csv"
    header = exports["douyin"][name].decode("utf-8-sig").splitlines()[0]
    drop(inbox, name, "\ufeff" + header + "\r\n")
    drop(inbox, "comments__none.csv", ",".join(GOOD_COMMENT) + "\n\n,,,,,,,,\n")
    reports = run(inbox, lake)
    assert [r.status for r in reports.values()] == ["landed", "landed"]
    assert reports[name].entities["posts"] == ib.Counts() and reports["comments__none.csv"].skipped == {"blank": 2}
    assert not lake.exists() or not list(lake.rglob("*.parquet"))


def test_landed_files_are_stamped_with_the_moment_of_the_run(inbox, lake):
    drop(inbox, "profiles__one.csv", unified_csv(unified_examples()["profiles"]))
    assert run(inbox, lake)["profiles__one.csv"].status == "landed"
    rows = landed(lake, "profiles")
    assert rows and {row["_loaded_at"] for row in rows} == {NOW}  # the run's moment, as landed_at
    manifests = list((lake / "raw" / "files" / "profiles").glob("dt=*/_manifest-*.json"))
    assert manifests and {json.loads(m.read_text())["loaded_at"] for m in manifests} == {NOW.isoformat()}


def test_process_file_lands_one_file_of_the_inbox(inbox, lake):
    path = drop(inbox, "profiles__one.csv", unified_csv(unified_examples()["profiles"]))
    r = ib.process_file(path, inbox, lake, now=NOW)
    assert (r.status, r.entities["profiles"].landed) == ("landed", 2) and not path.exists()


def test_the_format_names_the_nine_platforms_and_every_export():
    from ingestion.inbox_schema import PLATFORMS as UNIFIED_PLATFORMS

    assert set(UNIFIED_PLATFORMS) == set(PLATFORMS) == {e.platform for e in ib.EXPORTS}
