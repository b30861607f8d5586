"""Fixtures of the monorepo tests: a repository of three services made with git here, and
an emulator that knows their pipelines, on one fake clock."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from monorepo_kit import shop_scenario

from cfstep.emulator import Emulator
from fakeclock import FakeClock
from gitrepos import Repo
from harness import API_KEY


@pytest.fixture
def origin(tmp_path: Path) -> Repo:
    """The monorepo as its git server holds it: services/{api,web,worker}, libs, docs."""
    return Repo.create(tmp_path / "origin")


@pytest.fixture
def shop(emulator: Callable[..., Emulator], fake_clock: FakeClock) -> Callable[..., Emulator]:
    """`shop(**extra)`: a started emulator with shop_scenario(**extra) on the fake clock."""

    def make(**extra: dict[str, Any]) -> Emulator:
        return emulator(shop_scenario(**extra), clock=fake_clock, api_key=API_KEY)

    return make
