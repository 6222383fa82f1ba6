"""A platform-day in bounded memory: raw records spill to disk in batches, and recorded
answers stream to their file as they come."""
import gzip
import os
from datetime import date

import pyarrow.parquet as pq
import pytest
from cryptography.fernet import Fernet

from ingestion import replay
from ingestion.contract import LOADED_AT_COLUMN
from ingestion.demo.server import DemoExportServer
from ingestion.demo.world import default_world
from ingestion.landing import normalize, normalize_batches
from ingestion.platforms.base import RawRecord
from ingestion.pull import CONNECTORS, pull_platform_day
from ingestion.settings import PlatformSettings
from ingestion.spool import RecordSpool
from tests.conftest import TOKENS

DAY = date(2026, 11, 20)


def test_a_spool_keeps_one_batch_in_memory_and_gives_every_record_back_in_order():
    spool = RecordSpool(batch=10)
    spool += ({"n": i, "who": f"follower-{i}"} for i in range(25))
    spool.append({"n": 25, "who": "follower-25"})
    try:
        assert len(spool) == 26 and len(spool._tail) == 6  # two batches of ten went to disk
        assert [len(b) for b in spool.batches()] == [10, 10, 6]
        assert [r["n"] for r in spool] == list(range(26))
        spilled = spool._file.path
        # Raw payloads on disk are encrypted with a key that only this process holds.
        assert os.stat(spilled).st_mode & 0o077 == 0
        assert b"follower-3" not in open(spilled, "rb").read()
    finally:
        spool.close()
    assert not os.path.exists(spilled) and len(spool) == 0


def test_normalising_batch_by_batch_gives_the_slice_normalising_at_once_gives():
    normalizer = CONNECTORS["weibo"][1]["comments"]
    records = [RawRecord({"idstr": str(i % 40), "id": i % 40, "text": f"comment {i}", "created_at":
                          "Fri Nov 20 10:00:00 +0800 2026", "user": {"idstr": f"{1000 + i}", "screen_name": f"u{i}"},
                          "status": {"idstr": "9", "user": {"idstr": "7"}}}) for i in range(100)]
    records.append(RawRecord({"idstr": "bad", "created_at": "yesterday"}))
    whole = normalize("weibo", "comments", records, normalizer)
    spool = RecordSpool(batch=7)
    spool += records
    try:
        batched = normalize_batches("weibo", "comments", spool.batches(), normalizer)
    finally:
        spool.close()
    assert batched.table.equals(whole.table)
    assert (batched.duplicates, len(batched.quarantined)) == (whole.duplicates, len(whole.quarantined)) == (60, 1)


def test_recorded_answers_stream_to_disk_in_blocks(tmp_path, monkeypatch):
    monkeypatch.setattr(replay, "BLOCK_BYTES", 4096)
    recorder = replay.Recorder(tmp_path, "weibo", DAY, ["1"], secret="s3cret")
    for i in range(200):
        recorder.add("GET", "/2/comments/show.json", {"id": i, "access_token": "s3cret"}, None, 200,
                     {"comments": [{"id": i}]}, raw=b'{"comments":\n [{"id": %d}]}' % i)
    assert recorder._block_bytes < 4096  # what is not on disk yet is less than a block
    assert not recorder.target.exists()  # in place only once the slices have landed
    recorder.commit()
    header, calls = replay.load(tmp_path, "weibo", DAY)
    calls = list(calls)
    assert header["accounts"] == ["1"] and len(calls) == 200
    assert calls[7] == {"method": "GET", "path": "/2/comments/show.json", "params": {"id": 7}, "json": None,
                        "status": 200, "body": {"comments": [{"id": 7}]}}
    assert len(recorder.target.read_bytes().splitlines()) > 3 and b"s3cret" not in recorder.target.read_bytes()


def test_a_file_of_the_first_format_still_replays(tmp_path, monkeypatch):
    key = "first-format-key"
    monkeypatch.setenv(replay.ENV_KEY, key)
    text = '{"platform": "weibo", "day": "2026-11-20", "accounts": ["1"]}\n{"method": "GET", "path": "/p", ' \
           '"params": {}, "json": null, "status": 200, "body": {"ok": 1}}'
    path = replay.responses_path(tmp_path, "weibo", DAY).with_name(replay.FIRST_FORMAT_NAME)
    path.parent.mkdir(parents=True)
    path.write_bytes(replay._fernet().encrypt(gzip.compress(text.encode(), mtime=0)))
    header, calls = replay.load(tmp_path, "weibo", DAY)
    assert header["accounts"] == ["1"] and [c["body"] for c in calls] == [{"ok": 1}]
    with pytest.raises(PermissionError):
        path.write_bytes(Fernet(Fernet.generate_key()).encrypt(b"x"))
        list(replay.load(tmp_path, "weibo", DAY)[1])


def test_a_pull_reads_comment_threads_side_by_side_and_lands_the_same_slices(tmp_path):
    accounts = [k.account_id for k in default_world().kols("instagram")[:3]]
    with DemoExportServer(tokens=TOKENS) as server:
        one_by_one, side_by_side = (
            pull_platform_day("instagram", DAY, lake=tmp_path / f"lake-{width}", accounts=accounts,
                              settings=PlatformSettings("instagram", server.base_url("instagram"),
                                                        TOKENS["instagram"], concurrency=width))
            for width in (1, 4))
    assert [(r.entity, r.fetched, r.landed) for r in one_by_one] == \
           [(r.entity, r.fetched, r.landed) for r in side_by_side]
    for r1, r4 in zip(one_by_one, side_by_side):
        # The same rows in the same order, schema and metadata included; the files differ only in
        # _loaded_at, the moment each pull landed (byte-identical before every file carried it).
        t1, t4 = (pq.read_table(r.path).drop_columns([LOADED_AT_COLUMN]) for r in (r1, r4))
        assert t1.equals(t4, check_metadata=True), r1.entity
