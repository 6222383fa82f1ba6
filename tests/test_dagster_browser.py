"""The Dagster UI in a real browser: an engineer backfills a date range with a few clicks.

Playwright drives Debian's Chromium (/usr/bin/chromium, installed by `make system-deps`;
never a browser downloaded by `playwright install`) against `make dev` started for the test:
Materialize all… on an asset group, a custom range of two days, Launch backfill, then the
backfill's page until it says it succeeded. A screenshot of that page is kept as
test-artifacts/dagster-backfill.png (gitignored; its path is printed)."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from dagster_dev_server import ROOT, dagster_dev

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
# One platform's group keeps the run to seconds: the full graph's backfill (every platform, then
# dbt once for the range) is tests/test_dagster_ui.py's, through the same GraphQL the UI calls.
GROUP, PLATFORM = "raw_weibo", "weibo"
# The daemon picks a backfill up on its next 30 s tick; a loaded two-core machine is slow after.
BACKFILL_TIMEOUT_S = 600
TERMINAL = re.compile(r"^(Succeeded|Completed|Failed|Failing|Canceled|Canceling)$")


@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium (Debian's chromium package; "
                                                  "`make system-deps` installs it)")
def test_a_date_range_backfill_launched_from_the_ui_succeeds(tmp_path):
    from playwright.sync_api import expect, sync_playwright

    # Two finished UTC days, inside the 90 days the partition dialog shows by default.
    yesterday = datetime.now(timezone.utc).date() - timedelta(days=1)
    days = [(yesterday - timedelta(days=1)).isoformat(), yesterday.isoformat()]
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "dagster-backfill.png"
    shot.unlink(missing_ok=True)
    (ARTIFACTS / "dagster-backfill-failed.png").unlink(missing_ok=True)

    # The community sign-up dialog of a fresh instance would cover the page; a team turns it off.
    with dagster_dev(tmp_path, env={"KOL_DEMO_PRESET": "tiny"}, instance_yaml="nux:\n  enabled: false\n") as dev, \
            sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        page.set_default_timeout(60_000)
        try:
            page.goto(f"{dev.url}/locations/kol_warehouse/asset-groups/{GROUP}")
            page.get_by_role("button", name="Materialize all…").click()

            dialog = page.get_by_role("dialog")
            expect(dialog.get_by_text("Partition selection")).to_be_visible()
            # "Custom" is the default tab; its field takes the range syntax the UI itself writes.
            field = dialog.get_by_placeholder("No matching partitions")
            field.fill(f"[{days[0]}...{days[1]}]")
            field.press("Enter")
            expect(dialog.get_by_text("2 partitions", exact=True)).to_be_visible()
            dialog.get_by_role("button", name="Launch backfill").click()

            # The toast that confirms the backfill links to its page.
            page.get_by_role("link", name="View", exact=True).click()
            expect(page).to_have_url(re.compile(r"/runs/b/\w+"))
            status = page.get_by_text("Status", exact=True).locator("xpath=..")
            expect(status).to_be_visible()
            badge = status.get_by_text(TERMINAL)
            # The page polls on its own: no reload needed to see the daemon's progress.
            expect(badge).to_be_visible(timeout=BACKFILL_TIMEOUT_S * 1000)
            final = badge.inner_text()
            expect(page.get_by_text(re.compile(rf"^{days[0]}(\.\.\.|…){days[1]}$"))).to_be_visible()
            page.screenshot(path=str(shot), full_page=True)
            print(f"\nscreenshot of the finished backfill: {shot}")
        except Exception:
            page.screenshot(path=str(ARTIFACTS / "dagster-backfill-failed.png"), full_page=True)
            print(f"\nscreenshot at the failure: {ARTIFACTS / 'dagster-backfill-failed.png'}")
            raise
        finally:
            browser.close()
        log = dev.log_tail()
        lake = dev.data / "lake" / "raw" / PLATFORM

    assert final in ("Succeeded", "Completed"), log
    # What the UI reported is what happened: both days of the platform are in the lake.
    for day in days:
        assert any(lake.glob(f"*/dt={day}/*.parquet")), (day, log)
