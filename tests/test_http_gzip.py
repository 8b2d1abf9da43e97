"""The endpoint gzips what it writes itself when the client takes gzip, over real sockets: the
plan page of a season is half a megabyte of text (the same explanations in each session's
hover text, its details and the embedded JSON) and is read on phones. Feeds keep their bytes:
their ETag names them."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from service.daemon.metrics import Metrics
from service.daemon.serve import _takes_gzip
from service.store import feeds
from service.store.database import Store
from service.sync.engine import run_pass
from tests.test_feed import fetch
from tests.test_plan_as_held import NOW
from tests.web_support import example, serve, steady


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Store]]:
    config, store = example(tmp_path)
    assert run_pass(store, config.athletes[0], NOW).error is None
    with serve(config, steady(["alex"], store), Metrics()) as url:
        yield url, store


@pytest.fixture
def base(served: tuple[str, Store]) -> str:
    return served[0]


def test_the_page_is_gzipped_for_a_client_that_takes_it_and_reads_the_same(base: str) -> None:
    page = f"{base}/athletes/alex?today=2027-01-04&weeks=16"
    status, plain_headers, plain = fetch(page)
    assert status == 200
    assert plain_headers["Content-Encoding"] is None
    assert plain_headers["Vary"] == "Accept-Encoding"

    status, headers, packed = fetch(page, {"Accept-Encoding": "br, gzip;q=0.8"})
    assert status == 200
    assert headers["Content-Encoding"] == "gzip"
    assert headers["Vary"] == "Accept-Encoding"
    assert int(headers["Content-Length"]) == len(packed)
    assert gzip.decompress(packed) == plain
    assert len(packed) * 5 < len(plain)  # the page's repeats are what gzip takes out


def test_metrics_are_gzipped_too_and_a_refused_gzip_is_respected(base: str) -> None:
    url = f"{base}/metrics"
    status, headers, packed = fetch(url, {"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers["Content-Encoding"] == "gzip"
    assert b"racecal_" in gzip.decompress(packed)

    status, headers, plain = fetch(url, {"Accept-Encoding": "gzip;q=0, identity"})
    assert status == 200
    assert headers["Content-Encoding"] is None
    assert b"racecal_" in plain


def test_small_answers_and_the_feed_are_sent_as_they_are(served: tuple[str, Store]) -> None:
    base, store = served
    status, headers, body = fetch(f"{base}/healthz", {"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers["Content-Encoding"] is None
    assert json.loads(body)

    feed = f"{base}/feeds/alex/{feeds.token(store, 'alex', NOW)}.ics"
    status, headers, body = fetch(feed, {"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers["ETag"]
    assert headers["Content-Encoding"] is None
    assert body.startswith(b"BEGIN:VCALENDAR")


@pytest.mark.parametrize(
    ("header", "takes"),
    [
        ("gzip", True),
        ("GZIP", True),
        ("deflate, gzip;q=1.0, *;q=0.5", True),
        ("x-gzip", True),
        ("*", True),
        ("*;q=0", False),
        ("gzip;q=0", False),
        ("gzip;q=0.000", False),
        ("*, gzip;q=0", False),
        ("br", False),
        ("", False),
        ("gzip;q=bad", False),
    ],
)
def test_accept_encoding_is_read_as_rfc_9110_says(header: str, takes: bool) -> None:
    assert _takes_gzip(header) is takes
