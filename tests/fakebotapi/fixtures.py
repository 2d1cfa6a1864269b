"""pytest fixtures for the fake Bot API.

Use them from a conftest.py (``pytest_plugins = ["tests.fakebotapi.fixtures"]``) or import them
in a test module.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from .server import FakeBotApi


@pytest.fixture
async def fake_api() -> AsyncIterator[FakeBotApi]:
    """A started fake Bot API server, stopped after the test."""
    async with FakeBotApi() as api:
        yield api
