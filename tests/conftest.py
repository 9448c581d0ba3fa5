"""Test-session set-up shared by every test module."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(scope="session", autouse=True)
def _private_cache_dir(tmp_path_factory):
    # Derived caches (the inverted langdetect profiles) go to a directory of this session, not
    # to the user's ~/.cache; subprocesses started by tests inherit it.
    previous = os.environ.get("HIR_CACHE_DIR")
    os.environ["HIR_CACHE_DIR"] = str(tmp_path_factory.mktemp("hir-cache"))
    yield
    if previous is None:
        os.environ.pop("HIR_CACHE_DIR", None)
    else:
        os.environ["HIR_CACHE_DIR"] = previous
