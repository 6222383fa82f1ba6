"""Dashboard file exports and the answer key: byte-identical for a seed, one day at a time."""
import hashlib
import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq

from ingestion.demo.generate import generate
from ingestion.demo.world import PLATFORMS, World

ROOT = Path(__file__).resolve().parents[1]
DAY = date(2026, 3, 14)


def _digests(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_the_same_seed_writes_byte_identical_files_in_another_process(tmp_path):
    totals = generate(World(preset="tiny"), DAY, DAY, tmp_path / "here")
    proc = subprocess.run([sys.executable, "-m", "ingestion.demo.generate", "--preset", "tiny", "--start", str(DAY),
                           "--out", str(tmp_path / "there")], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    here, there = _digests(tmp_path / "here"), _digests(tmp_path / "there")
    assert here == there and len(here) == totals["files"]
    assert json.loads(proc.stdout)["interaction_records"] == totals["interaction_records"] > 0
    other = generate(World(preset="tiny", seed=8), DAY, DAY, tmp_path / "other-seed")
    assert _digests(tmp_path / "other-seed") != here and other["files"] == totals["files"]


def test_every_platform_day_has_its_dashboard_export_commerce_and_interaction_records(tmp_path):
    world = World(preset="tiny")
    generate(world, DAY, DAY, tmp_path)
    for platform in PLATFORMS:
        folder = tmp_path / platform / f"dt={DAY}"
        names = {p.name for p in folder.iterdir()}
        assert {"commerce.csv", "interactions.parquet"} < names, names
        dashboards = names - {"commerce.csv", "interactions.parquet"}
        assert dashboards and all(n.endswith((".csv", ".json", ".xlsx", ".tsv")) for n in dashboards)
        table = pq.read_table(folder / "interactions.parquet")
        # the quick estimate that sizes the presets is within a few per cent of the records
        assert abs(table.num_rows - world.interaction_count(platform, DAY)) < 0.05 * table.num_rows
        assert set(table.column("kind").to_pylist()) <= {"like", "comment", "reply", "follow", "unfollow"}
    truth = json.loads((tmp_path / "ground_truth.json").read_text())
    assert truth["seed"] == 7 and truth["preset"] == "tiny" and truth["first_day"] == str(DAY)
