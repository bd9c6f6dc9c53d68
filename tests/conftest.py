"""Shared fixtures."""

from __future__ import annotations

import os

import pytest

from tests.nodes import POSTGRES_ENV


def pytest_report_header(config: pytest.Config) -> str:
    url = os.environ.get(POSTGRES_ENV)
    return f"PostgreSQL tests: {'on (' + url + ')' if url else 'skipped (set ' + POSTGRES_ENV + ')'}"


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path):  # noqa: ANN001
    """A database URL for one node: a SQLite file, and PostgreSQL when its URL is given."""
    if request.param == "sqlite":
        return None  # running_node picks a SQLite file in tmp_path
    if not os.environ.get(POSTGRES_ENV):
        pytest.skip(f"PostgreSQL tests need {POSTGRES_ENV} (set by .ci/run)")
    return "postgres"
