"""The inbox's column-wise path for unified Parquet files (ingestion/inbox_bulk.py) against the
row path it must equal: the same files dropped through both (the row path forced with
KOL_INBOX_BULK=0) leave the same lake: landed Parquet, quarantine records, manifests, reports."""
from __future__ import annotations

import json
import random
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ingestion import inbox as ib
from ingestion import inbox_bulk
from ingestion.privacy import pseudonymise

NOW = datetime(2026, 3, 11, 6, 0, tzinfo=timezone.utc)
DAY = datetime(2026, 3, 10, tzinfo=timezone.utc)
KOL, OTHER_KOL = "5089007929", "7001"
UTC_TS = pa.timestamp("us", tz="UTC")


def messy_comments(n: int = 3000, seed: int = 11) -> list[dict]:
    """``n`` comment rows, most good, with every kind of bad value the contract knows."""
    rnd = random.Random(seed)
    texts = ["请问色号是多少？", "love it", "你好厉害", "  ", "", None, "\u3000", "first!", "a\nb", "😀" * 3]
    rows = []
    for i in range(n):
        commenter = f"u{rnd.randrange(400):05d}"
        at = DAY + timedelta(seconds=rnd.randrange(-86_400, 86_400 * 2))  # three UTC days
        row = {"platform": "weibo", "account_id": KOL, "post_id": f"p{rnd.randrange(5)}", "comment_id": f"c{i}",
               "commenter_id": commenter, "commenter_handle": f"user_{commenter}_２０{rnd.randrange(99)}",
               "commenter_handle_length": None, "commenter_handle_digit_count": None, "commented_at": at,
               "comment_text": rnd.choice(texts), "parent_comment_id": None, "note": None}
        kind = i % 50
        if kind == 1:
            row["comment_id"] = f"c{rnd.randrange(max(i, 1))}"          # a repeat of an earlier comment
        elif kind == 2:
            row["commenter_id"] = None                                   # required, missing
        elif kind == 3:
            row["commented_at"] = datetime(2031, 1, 1, tzinfo=timezone.utc)  # in the future
        elif kind == 4:
            row["commented_at"] = datetime(1999, 12, 31, 23, tzinfo=timezone.utc)  # before 2000
        elif kind == 5:
            row["comment_text"] = "啊" * 10_001                         # oversized
        elif kind == 6:
            row["platform"] = "myspace"
        elif kind == 7:
            row["platform"], row["account_id"] = "douyin", OTHER_KOL    # another platform
        elif kind == 8:
            row["platform"] = " Weibo "                                  # good, after stripping
        elif kind == 9:
            row["post_id"] = "1.77266E+15"                               # a spreadsheet's number
        elif kind == 10:
            row["comment_id"] = "c-\n-1"                                 # control character
        elif kind == 11:
            row["commenter_id"], row["commenter_handle"] = KOL, "the_kol"  # the KOL's own reply
            row["parent_comment_id"] = f"c{rnd.randrange(max(i, 1))}"
        elif kind == 12:
            row["comment_text"] = f"@{row['commenter_handle']} 说得对 {row['commenter_id']}"  # quotes itself
        elif kind == 13:
            row["commenter_handle"], row["commenter_handle_length"] = None, 9  # given, no handle
            row["commenter_handle_digit_count"] = 2
        elif kind == 14:
            row["commenter_handle_length"] = -3                           # negative
        elif kind == 15:
            row["note"] = f"from the listening tool {commenter}"          # an extra column
        elif kind == 16:
            row["commenter_id"] = "   "                                   # blank
        elif kind == 17:
            row["comment_text"] = "nul\x00inside"
        elif kind == 18:
            row["comment_id"] = f" c{i} "                                 # edge spaces, stripped
        elif kind == 19:
            row["commented_at"] = None
        elif kind == 20:
            row["commenter_handle"] = "ｆｕｌｌ１２３"                       # full-width digits are not 0-9
        elif kind == 21:
            row["comment_id"] = "c3"                                      # repeats across days
        rows.append(row)
    return rows


def schema(commented_at: pa.DataType = UTC_TS, account: pa.DataType = pa.string()) -> pa.Schema:
    return pa.schema([("platform", pa.string()), ("account_id", account), ("post_id", pa.string()),
                      ("comment_id", pa.string()), ("commenter_id", pa.string()), ("commenter_handle", pa.string()),
                      ("commenter_handle_length", pa.int64()), ("commenter_handle_digit_count", pa.int32()),
                      ("commented_at", commented_at), ("comment_text", pa.string()),
                      ("parent_comment_id", pa.string()), ("note", pa.string())])


def parquet_bytes(rows: list[dict], s: pa.Schema) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(pa.Table.from_pylist(rows, schema=s), sink, row_group_size=700)  # several batches' worth
    return sink.getvalue().to_pybytes()


def lake_contents(lake: Path) -> dict[str, object]:
    out: dict[str, object] = {}
    for path in sorted(lake.rglob("*")):
        if not path.is_file():
            continue
        rel = str(path.relative_to(lake))
        if path.suffix == ".parquet":
            out[rel] = pq.read_table(path)
        elif path.suffix == ".jsonl":
            out[rel] = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        else:
            manifest = json.loads(path.read_text(encoding="utf-8"))
            manifest["path"] = str(Path(manifest["path"]).relative_to(lake))
            out[rel] = manifest
    return out


def report_view(report: ib.FileReport, lake: Path) -> dict:
    return {"status": report.status, "kind": report.kind, "sha": report.sha256, "skipped": report.skipped,
            "entities": {e: vars(c) for e, c in report.entities.items()}, "problems": report.problems,
            "slices": [str(Path(s).relative_to(lake)) for s in report.slices], "error": report.error}


def drop_both(tmp_path: Path, monkeypatch, files: dict[str, bytes]) -> tuple[dict, dict, dict, dict]:
    """The files dropped into two inboxes: one run by the row path, one by the fast path."""
    results = []
    for mode in ("0", "1"):
        monkeypatch.setenv(inbox_bulk.ENV, mode)
        inbox, lake = tmp_path / f"inbox-{mode}", tmp_path / f"lake-{mode}"
        inbox.mkdir()
        for name, data in files.items():
            (inbox / name).write_bytes(data)
        reports = {r.file: report_view(r, lake) for r in ib.process_inbox(inbox, lake, now=NOW)}
        results += [reports, lake_contents(lake)]
    return tuple(results)


def assert_same(row_lake: dict, fast_lake: dict) -> None:
    assert sorted(row_lake) == sorted(fast_lake)
    for rel, expected in row_lake.items():
        got = fast_lake[rel]
        if isinstance(expected, pa.Table):
            assert got.schema.equals(expected.schema, check_metadata=True), rel
            assert got.to_pylist() == expected.to_pylist(), rel
        else:
            assert got == expected, rel


def test_a_messy_unified_comments_file_lands_the_same_through_both_paths(tmp_path, monkeypatch):
    rows = messy_comments()
    files = {"comments__listening_tool_2026-03-10.parquet": parquet_bytes(rows, schema())}
    row_reports, row_lake, fast_reports, fast_lake = drop_both(tmp_path, monkeypatch, files)
    assert fast_reports == row_reports
    assert_same(row_lake, fast_lake)
    report = fast_reports["comments__listening_tool_2026-03-10.parquet"]
    c = report["entities"]["comments"]
    # every kind of row happened: some landed, some quarantined, some repeated; the counts balance
    assert c["fetched"] == len(rows) == c["landed"] + c["quarantined"] + c["duplicates"]
    assert c["landed"] > 2000 and c["quarantined"] > 300 and c["duplicates"] > 50
    # most rows were validated column-wise; the odd ones went through the row path's functions
    stats = inbox_bulk.LAST["comments__listening_tool_2026-03-10.parquet"]
    assert stats["rows"] == len(rows) and stats["column_wise"] > 0.6 * len(rows) and stats["row_by_row"] > 300
    reasons = {q["reason"].split(":")[0] for rel, v in fast_lake.items() if rel.endswith(".jsonl") for q in v}
    assert {"commenter_id is required but empty", "commented_at", "comment_text", "platform", "post_id",
            "comment_id", "commenter_handle_length"} <= reasons
    slices = [rel for rel in fast_lake if rel.endswith(".parquet")]
    assert len(slices) >= 3  # the UTC days of commented_at
    landed = pa.concat_tables([fast_lake[s] for s in slices]).to_pylist()
    # pseudonyms as the row path and the API lake make them; the KOL's own replies keep their id and handle
    by_id = {r["comment_id"]: r for r in landed}
    kol_replies = [r for r in landed if r["commenter_id"] == KOL]
    assert kol_replies and all(r["commenter_handle"] == "the_kol" for r in kol_replies)
    original = {r["comment_id"]: r for r in rows if r["platform"] == "weibo" and r["commenter_id"] not in (None, KOL)
                and r["commenter_id"].strip()}
    checked = 0
    for cid, r in by_id.items():
        if cid in original and r["platform"] == "weibo" and r["commenter_id"] != KOL:
            src = original[cid]
            if r["commenter_id"] == pseudonymise(src["commenter_id"], "weibo"):
                checked += 1
                if src["commenter_handle"]:
                    assert r["commenter_handle"] == pseudonymise(src["commenter_handle"], "weibo")
                    assert r["commenter_handle_length"] == len(src["commenter_handle"])
                    assert r["commenter_handle_digit_count"] == sum(ch in "0123456789" for ch in src["commenter_handle"])
    assert checked > 1000
    assert not any(r["commenter_id"].startswith("u0") for r in landed)  # no raw commenter id left


def test_typed_otherwise_files_land_the_same_through_both_paths(tmp_path, monkeypatch):
    """Times written as text and ids written as numbers take the row path row by row inside the fast
    path; a time without a zone quarantines every row; both paths agree on each."""
    rows = messy_comments(600, seed=3)
    as_text = [{**r, "commented_at": r["commented_at"].isoformat() if r["commented_at"] else None} for r in rows]
    numeric = [{**r, "account_id": int(r["account_id"])} for r in rows if r["account_id"].isdigit()]
    naive = [{**r, "commented_at": r["commented_at"].replace(tzinfo=None) if r["commented_at"] else None}
             for r in rows[:100]]
    files = {
        "comments__as_text.parquet": parquet_bytes(as_text, schema(commented_at=pa.string())),
        "comments__numeric_kol.parquet": parquet_bytes(numeric, schema(account=pa.int64())),
        "comments__naive.parquet": parquet_bytes(naive, schema(commented_at=pa.timestamp("us"))),
    }
    row_reports, row_lake, fast_reports, fast_lake = drop_both(tmp_path, monkeypatch, files)
    assert fast_reports == row_reports
    assert_same(row_lake, fast_lake)
    assert all(r["status"] == "landed" for r in fast_reports.values())


def test_other_unified_entities_land_the_same_through_both_paths(tmp_path, monkeypatch):
    audience = [{"platform": "weibo", "account_id": KOL, "snapshot_date": date(2026, 3, 10), "follower_id": f"f{i % 90}",
                 "follower_followers": i, "follower_following": None if i % 7 == 0 else 3, "follower_posts_count": 0,
                 "has_avatar": i % 2 == 0, "bio_length": -1 if i % 31 == 0 else 4,
                 "follower_handle": f"fan{i}" if i % 5 else None, "is_private": None,
                 "follower_created_at": None} for i in range(300)]
    posts = [{"platform": "x", "account_id": "42", "post_id": f"t{i % 120}",
              "published_at": None if i % 9 == 0 else DAY + timedelta(hours=i),
              "published_date": date(2026, 3, 1) if i % 18 == 0 else None, "post_text": "hi", "media_type": "video",
              "url": None, "duration_s": i} for i in range(200)]
    files = {"audience__sample.parquet": pq_bytes(audience), "posts__sheet.parquet": pq_bytes(posts)}
    row_reports, row_lake, fast_reports, fast_lake = drop_both(tmp_path, monkeypatch, files)
    assert fast_reports == row_reports
    assert_same(row_lake, fast_lake)


def pq_bytes(rows: list[dict]) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(pa.Table.from_pylist(rows), sink)
    return sink.getvalue().to_pybytes()


def test_re_dropping_a_bulk_file_replaces_its_own_slices(tmp_path, monkeypatch):
    monkeypatch.setenv(inbox_bulk.ENV, "1")
    inbox, lake = tmp_path / "inbox", tmp_path / "lake"
    inbox.mkdir()
    data = parquet_bytes(messy_comments(500), schema())
    (inbox / "comments__a.parquet").write_bytes(data)
    first = ib.process_inbox(inbox, lake, now=NOW)[0]
    (inbox / "comments__a.parquet").write_bytes(data)
    again = ib.process_inbox(inbox, lake, now=NOW)[0]
    assert first.status == again.status == "landed" and first.entities == again.entities
    assert sorted(lake.rglob("*.parquet")) == sorted(Path(s) for s in again.slices)
    (inbox / "comments__b.parquet").write_bytes(data)  # the same content under another name
    assert ib.process_inbox(inbox, lake, now=NOW)[0].status == "duplicate"
    assert len(list((inbox / "processed").rglob("*.parquet"))) == 3
