"""Servers the suite starts itself."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.radicale_server import Radicale


@pytest.fixture(scope="session")
def radicale(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Radicale]:
    server = Radicale(tmp_path_factory.mktemp("radicale"))
    server.start()
    yield server
    server.remove()


@pytest.fixture
def own_radicale(tmp_path: Path) -> Iterator[Radicale]:
    """A server of the test's own, for tests that stop and restart it."""
    server = Radicale(tmp_path)
    server.start()
    yield server
    server.remove()
