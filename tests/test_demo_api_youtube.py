"""The demo YouTube Data API v3 over real HTTP on loopback, in YouTube's own shape."""
from __future__ import annotations

import csv
import html
import io
import re
from datetime import date, datetime, timedelta

import pytest
import requests

from tests.conftest import TOKENS

DAY = "2026-11-20"
YT_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
DURATION = re.compile(r"^(P0D|PT(\d+H)?(\d+M)?(\d+S)?)$")
VIDEO_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")


def _world():
    from ingestion.demo.world import default_world

    return default_world()


def _kol(index: int = 1):
    return _world().kols("youtube")[index]


def yt(api, resource: str, auth: str = "key", **params) -> requests.Response:
    params = {"export_date": DAY, **params}
    headers = {}
    if auth == "key":
        params["key"] = TOKENS["youtube"]
    elif auth == "bearer":
        headers["Authorization"] = f"Bearer {TOKENS['youtube']}"
    return requests.get(f"{api.base_url('youtube')}/youtube/v3/{resource}", params=params, headers=headers, timeout=10)


def _walk(api, resource: str, auth: str = "key", **params) -> tuple[list[dict], int]:
    items, pages, token = [], 0, None
    while True:
        body = yt(api, resource, auth, **params, **({"pageToken": token} if token else {})).json()
        items += body["items"]
        pages += 1
        token = body.get("nextPageToken")
        if token is None:
            return items, pages
        assert pages < 200, "paging does not end"


def _parse(ts: str) -> datetime:
    return datetime.fromisoformat(ts)


# ---------------------------------------------------------------- channels

def test_channel_statistics_are_strings_and_subscribers_are_rounded_down_to_three_digits(demo_api):
    kol = _kol(1)  # a large channel, where the rounding shows
    body = yt(demo_api, "channels", part="snippet,statistics,contentDetails", id=kol.account_id).json()
    assert body["kind"] == "youtube#channelListResponse" and body["pageInfo"]["totalResults"] == 1
    channel = body["items"][0]
    stats = channel["statistics"]
    assert all(isinstance(stats[k], str) and stats[k].isdigit() for k in ("viewCount", "subscriberCount", "videoCount"))
    assert stats["hiddenSubscriberCount"] is False
    true_count = _world().followers_on(kol, date.fromisoformat(DAY))
    shown = int(stats["subscriberCount"])
    assert true_count >= 1000 and len(str(shown).rstrip("0")) <= 3 and shown <= true_count < shown * 1.01
    assert YT_TIME.match(channel["snippet"]["publishedAt"]) and channel["snippet"]["customUrl"].startswith("@")
    uploads = channel["contentDetails"]["relatedPlaylists"]["uploads"]
    assert uploads.startswith("UU") and uploads[2:] == kol.account_id[2:]
    # The handle finds the same channel; parts not asked for are left out.
    by_handle = yt(demo_api, "channels", part="id", forHandle=channel["snippet"]["customUrl"]).json()
    assert by_handle["items"][0]["id"] == kol.account_id and set(by_handle["items"][0]) == {"kind", "etag", "id"}


def test_an_unknown_channel_is_an_empty_200_without_items(demo_api):
    resp = yt(demo_api, "channels", part="snippet", id="UCxxxxxxxxxxxxxxxxxxxxxx")
    assert resp.status_code == 200
    assert resp.json()["pageInfo"]["totalResults"] == 0 and "items" not in resp.json()


def test_subscriber_counts_move_in_steps_while_the_true_count_moves_daily(demo_api):
    kol = _kol(1)
    world = _world()
    shown, true = [], []
    for offset in range(6):
        d = date.fromisoformat(DAY) - timedelta(days=offset)
        body = yt(demo_api, "channels", part="statistics", id=kol.account_id, export_date=d.isoformat()).json()
        shown.append(body["items"][0]["statistics"]["subscriberCount"])
        true.append(world.followers_on(kol, d))
    assert len(set(shown)) < len(set(true))


# ---------------------------------------------------------------- uploads

def test_the_uploads_playlist_pages_to_its_end_without_gaps_or_repeats(demo_api):
    from ingestion.demo.world import WORLD_EPOCH

    world = _world()
    kol = min(world.kols("youtube"), key=lambda k: k.posts_per_day)
    items, pages = _walk(demo_api, "playlistItems", part="snippet,contentDetails", playlistId="UU" + kol.account_id[2:],
                         maxResults=50)
    ids = [i["contentDetails"]["videoId"] for i in items]
    expected = [p.post_id for p in reversed(world.posts_between(kol, WORLD_EPOCH, date.fromisoformat(DAY)))]
    assert ids == expected and pages == -(-len(expected) // 50)
    assert [i["snippet"]["position"] for i in items] == list(range(len(items)))
    times = [_parse(i["contentDetails"]["videoPublishedAt"]) for i in items]
    assert times == sorted(times, reverse=True) and all(VIDEO_ID.match(v) for v in ids)


def test_search_by_channel_and_date_window_pages_like_one_big_page(demo_api):
    kol = _kol(6)
    after = f"{date.fromisoformat(DAY) - timedelta(days=13)}T00:00:00Z"
    params = dict(part="snippet", channelId=kol.account_id, type="video", order="date", publishedAfter=after)
    paged, pages = _walk(demo_api, "search", maxResults=4, **params)
    whole = yt(demo_api, "search", maxResults=50, **params).json()
    assert "nextPageToken" not in whole and len(whole["items"]) > 8 and pages == -(-len(whole["items"]) // 4)
    assert [i["id"]["videoId"] for i in paged] == [i["id"]["videoId"] for i in whole["items"]]
    assert all(_parse(i["snippet"]["publishedAt"]) >= _parse(after) for i in paged)
    # Page tokens are protobuf-shaped like YouTube's, and a forged one is refused.
    bad = yt(demo_api, "search", maxResults=4, pageToken="not-a-token", **params)
    assert bad.status_code == 400 and bad.json()["error"]["errors"][0]["reason"] == "invalidPageToken"


# ---------------------------------------------------------------- videos

def test_videos_speak_youtube_statistics_as_strings_and_iso_durations(demo_api):
    world = _world()
    posts = [p for k in world.kols("youtube")[:4]
             for p in world.posts_between(k, date.fromisoformat(DAY) - timedelta(days=6), date.fromisoformat(DAY))]
    ids = [p.post_id for p in posts][:50]
    body = yt(demo_api, "videos", part="snippet,statistics,contentDetails,liveStreamingDetails", id=",".join(ids)).json()
    assert body["kind"] == "youtube#videoListResponse" and [v["id"] for v in body["items"]] == ids
    for v in body["items"]:
        stats = v["statistics"]
        assert set(stats) == {"viewCount", "likeCount", "favoriteCount", "commentCount"}
        assert all(isinstance(s, str) and s.isdigit() for s in stats.values()) and stats["favoriteCount"] == "0"
        assert YT_TIME.match(v["snippet"]["publishedAt"]) and DURATION.match(v["contentDetails"]["duration"])
        # Live streams, and only they, carry liveStreamingDetails.
        live = next(p for p in posts if p.post_id == v["id"]).media_type == "LIVE"
        assert ("liveStreamingDetails" in v) == live
        if live:
            assert YT_TIME.match(v["liveStreamingDetails"]["actualStartTime"])


def test_videos_leave_out_unknown_ids_and_refuse_more_than_fifty(demo_api):
    world = _world()
    post = next(p for k in world.kols("youtube") for p in world.posts_created_on(k, date.fromisoformat(DAY)))
    body = yt(demo_api, "videos", part="id", id=f"{post.post_id},AAAAAAAAAAA").json()
    assert [v["id"] for v in body["items"]] == [post.post_id]
    # A video published after the export day does not exist yet.
    later = yt(demo_api, "videos", part="id", id=post.post_id, export_date="2026-11-19").json()
    assert later["items"] == []
    resp = yt(demo_api, "videos", part="id", id=",".join([post.post_id] * 51))
    err = resp.json()["error"]
    assert resp.status_code == 400 and err["code"] == 400 and err["errors"][0]["domain"] == "youtube.parameter"


def test_a_videos_counters_grow_day_over_day(demo_api):
    world = _world()
    post = next(p for k in world.kols("youtube") for p in world.posts_created_on(k, date.fromisoformat("2026-11-18")))
    views, likes = [], []
    for d in ("2026-11-18", "2026-11-19", "2026-11-20"):
        stats = yt(demo_api, "videos", part="statistics", id=post.post_id, export_date=d).json()["items"][0]["statistics"]
        views.append(int(stats["viewCount"]))
        likes.append(int(stats["likeCount"]))
    assert views == sorted(set(views)) and likes == sorted(likes) and likes[0] < likes[-1]


def test_two_identical_requests_give_byte_identical_bodies(demo_api):
    kol = _kol(2)
    params = dict(part="snippet,contentDetails", playlistId="UU" + kol.account_id[2:], maxResults=10)
    assert yt(demo_api, "playlistItems", **params).content == yt(demo_api, "playlistItems", **params).content


def test_unknown_parts_and_a_missing_part_are_rejected(demo_api):
    unknown = yt(demo_api, "videos", part="snippet,statistic", id="AAAAAAAAAAA")
    assert unknown.status_code == 400
    assert unknown.json()["error"]["errors"][0] | {"message": None} == {
        "message": None, "domain": "youtube.part", "reason": "unknownPart", "location": "part", "locationType": "parameter"}
    missing = yt(demo_api, "channels", id=_kol().account_id)
    assert missing.status_code == 400 and missing.json()["error"]["errors"][0]["reason"] == "required"


# ---------------------------------------------------------------- comments

def _video_with_replies():
    world = _world()
    as_of = datetime.fromisoformat(f"{DAY}T23:59:59+00:00")
    for kol in world.kols("youtube"):
        for post in world.posts_between(kol, date.fromisoformat(DAY) - timedelta(days=6), date.fromisoformat(DAY)):
            comments = world.comments_on(post, as_of)
            if len(comments) > 12 and any(c.reply_to_id for c in comments):
                return kol, post
    raise AssertionError("the world has no video with KOL replies")


def test_comment_threads_page_by_token_and_nest_the_channels_replies(demo_api):
    kol, post = _video_with_replies()
    paged, pages = _walk(demo_api, "commentThreads", part="snippet,replies", videoId=post.post_id, maxResults=5)
    whole = yt(demo_api, "commentThreads", part="snippet,replies", videoId=post.post_id, maxResults=100).json()
    assert [t["id"] for t in paged] == [t["id"] for t in whole["items"]] and pages == -(-len(paged) // 5) > 1
    assert len({t["id"] for t in paged}) == len(paged)
    tops = [t["snippet"]["topLevelComment"]["snippet"] for t in paged]
    assert [_parse(s["publishedAt"]) for s in tops] == sorted((_parse(s["publishedAt"]) for s in tops), reverse=True)
    threads_with_replies = [t for t in paged if "replies" in t]
    assert threads_with_replies
    for t in threads_with_replies:
        assert t["snippet"]["totalReplyCount"] == len(t["replies"]["comments"])
        for r in t["replies"]["comments"]:
            assert r["snippet"]["authorChannelId"]["value"] == kol.account_id == r["snippet"]["channelId"]
            assert r["snippet"]["parentId"] == t["id"] and r["id"].startswith(t["id"] + ".")
    # textDisplay is HTML by default and plain text on request; textOriginal is always the raw text.
    for s in tops:
        assert html.unescape(s["textDisplay"]) == s["textOriginal"]
    plain = yt(demo_api, "commentThreads", part="snippet", videoId=post.post_id, textFormat="plainText").json()
    assert all(t["snippet"]["topLevelComment"]["snippet"]["textDisplay"] ==
               t["snippet"]["topLevelComment"]["snippet"]["textOriginal"] for t in plain["items"])


def test_comments_on_an_unknown_video_are_video_not_found(demo_api):
    resp = yt(demo_api, "commentThreads", part="snippet", videoId="AAAAAAAAAAA")
    err = resp.json()["error"]
    assert resp.status_code == 404 and err["code"] == 404
    assert (err["errors"][0]["reason"], err["errors"][0]["domain"]) == ("videoNotFound", "youtube.commentThread")


# ---------------------------------------------------------------- audience

def test_my_subscribers_needs_oauth_and_pages_the_audience_sample_without_ground_truth(demo_api):
    kol = _kol(3)
    params = dict(part="snippet,subscriberSnippet,subscriberStatistics", mySubscribers="true",
                  onBehalfOfContentOwnerChannel=kol.account_id, maxResults=7)
    with_key = yt(demo_api, "subscriptions", **params)
    assert with_key.status_code == 401 and with_key.json()["error"]["errors"][0]["reason"] == "required"
    items, pages = _walk(demo_api, "subscriptions", auth="bearer", **params)
    sample = _world().audience_sample(kol, date.fromisoformat(DAY))
    assert [i["subscriberSnippet"]["channelId"] for i in items] == [f.account_id for f in sample]
    assert pages == -(-len(sample) // 7)
    for i in items:
        assert i["snippet"]["resourceId"]["channelId"] == kol.account_id
        assert _parse(i["snippet"]["publishedAt"]) <= datetime.fromisoformat(f"{DAY}T23:59:59+00:00")
        assert all(v.isdigit() for v in i["subscriberStatistics"].values())
        assert i["subscriberSnippet"]["thumbnails"]["default"]["url"].startswith("https://")
    text = str(items)
    assert "is_fake" not in text and "'kind': 'fake'" not in text


# ---------------------------------------------------------------- auth and errors

def test_credentials_are_refused_in_googles_envelope(demo_api):
    url = f"{demo_api.base_url('youtube')}/youtube/v3/channels"
    params = {"part": "id", "id": _kol().account_id, "export_date": DAY}
    missing = requests.get(url, params=params, timeout=10)
    bad_key = requests.get(url, params=params | {"key": "nope"}, timeout=10)
    bad_token = requests.get(url, params=params, headers={"Authorization": "Bearer nope"}, timeout=10)
    for resp, status, reason in ((missing, 403, "forbidden"), (bad_key, 400, "badRequest"),
                                 (bad_token, 401, "authError")):
        err = resp.json()["error"]
        assert resp.status_code == status == err["code"] and err["errors"][0]["reason"] == reason
        assert err["message"] and err["errors"][0]["domain"] == "global"
    assert bad_key.json()["error"]["details"][0]["reason"] == "API_KEY_INVALID"
    assert bad_token.json()["error"]["status"] == "UNAUTHENTICATED" and "invalid_token" in bad_token.headers["WWW-Authenticate"]
    assert TOKENS["youtube"] not in missing.text + bad_key.text + bad_token.text


def test_the_fault_dialect_speaks_youtube_through_the_injector():
    from ingestion.demo.faults import FaultConfig
    from ingestion.demo.server import DemoExportServer

    kol = _kol(0)
    params = {"key": TOKENS["youtube"], "export_date": DAY, "part": "statistics", "id": kol.account_id}
    answers = {}
    for mode in ("quota_exceeded", "throttle_in_200", "http_429", "expired_token"):
        with DemoExportServer(tokens=TOKENS, faults=FaultConfig.parse(f"youtube:{mode}=1,retry_after=3")) as api:
            answers[mode] = requests.get(f"{api.base_url('youtube')}/youtube/v3/channels", params=params, timeout=10)
    quota = answers["quota_exceeded"]
    assert quota.status_code == 403 and quota.json()["error"]["errors"][0]["domain"] == "youtube.quota"
    assert quota.json()["error"]["errors"][0]["reason"] == "quotaExceeded"
    throttled = answers["throttle_in_200"]
    assert throttled.status_code == 200 and throttled.json()["error"]["errors"][0]["reason"] == "rateLimitExceeded"
    assert answers["http_429"].status_code == 429 and answers["http_429"].headers["Retry-After"] == "3"
    assert answers["http_429"].json()["error"]["status"] == "RESOURCE_EXHAUSTED"
    expired = answers["expired_token"]
    assert expired.status_code == 401 and expired.json()["error"]["errors"][0]["reason"] == "authError"


def test_the_fault_dialect_reads_every_list_it_pages(demo_api):
    from ingestion.demo.api_common import dig
    from ingestion.demo.youtube_api import FAULT_DIALECT as D

    kol, post = _video_with_replies()
    bodies = [
        yt(demo_api, "playlistItems", part="snippet,contentDetails", playlistId="UU" + kol.account_id[2:], maxResults=3),
        yt(demo_api, "search", part="snippet", channelId=kol.account_id, maxResults=3),
        yt(demo_api, "commentThreads", part="snippet", videoId=post.post_id, maxResults=3),
        yt(demo_api, "subscriptions", auth="bearer", part="snippet", mySubscribers="true",
           onBehalfOfContentOwnerChannel=kol.account_id, maxResults=3),
    ]
    for resp in bodies:
        body = resp.json()
        items = next(dig(body, k) for k in D.list_keys if isinstance(dig(body, k), list))
        assert len(items) == 3 and D.next_cursor(body) == body["nextPageToken"]
        assert all(isinstance(D.item_time(i), datetime) and D.item_time(i).tzinfo for i in items)
    last = yt(demo_api, "videos", part="id", id=post.post_id).json()
    assert D.next_cursor(last) is None


# ---------------------------------------------------------------- Studio export

def test_studio_export_is_byte_deterministic_and_matches_the_api(demo_api):
    from ingestion.demo.world import World
    from ingestion.demo.youtube_api import export_files

    day = date.fromisoformat(DAY)
    first, second = export_files(World(), day), export_files(World(), day)
    assert first == second and len(first) == 1
    (name, payload), = first.items()
    assert DAY in name and name.endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(payload.decode("utf-8"))))
    assert {"Channel ID", "Channel", "Content", "Video title", "Video publish time", "Views", "Likes"} <= set(rows[0])
    total, videos = rows[0], rows[1:]
    assert total["Content"] == "Total" and int(total["Views"]) == sum(int(r["Views"]) for r in videos)
    world = _world()
    expected = {p.post_id for k in world.kols("youtube") for p in world.posts_between(k, day - timedelta(days=6), day)}
    assert {r["Content"] for r in videos} == expected and len(videos) == len(expected)
    sample = videos[0]
    stats = yt(demo_api, "videos", part="statistics", id=sample["Content"]).json()["items"][0]["statistics"]
    assert sample["Views"] == stats["viewCount"] and sample["Likes"] == stats["likeCount"]
    assert re.match(r"^[A-Z][a-z]{2} \d{1,2}, \d{4}$", sample["Video publish time"])


@pytest.mark.parametrize("seconds, text", [(0, "P0D"), (15, "PT15S"), (60, "PT1M"), (3600, "PT1H"), (4 * 60 + 13, "PT4M13S"),
                                           (3600 + 6 * 60 + 40, "PT1H6M40S")])
def test_iso_durations_leave_out_zero_parts(seconds, text):
    from ingestion.demo.youtube_api import iso_duration

    assert iso_duration(seconds) == text
