"""One version string: pyproject's. The package reads it from its installed metadata, and
the image and the typed step must say the same."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

import cfstep

ROOT = Path(__file__).resolve().parent.parent
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def test_the_package_reports_pyprojects_version() -> None:
    assert cfstep.__version__ == VERSION


def test_the_dockerfile_builds_that_version() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.findall(r"^ARG VERSION=(\S+)$", dockerfile, re.MULTILINE) == [VERSION]
    assert set(re.findall(r"cfstep:(\d[\w.+-]*)", dockerfile)) == {VERSION}


def test_step_yaml_publishes_that_version() -> None:
    text = (ROOT / "step.yaml").read_text()
    (metadata_version,) = re.findall(r"^  version: (\S+)$", text, re.MULTILINE)
    assert metadata_version == VERSION
    # the examples' `type:` and the image the step runs
    tags = re.findall(r"cfstep:(\d[\w.+-]*)", text)
    assert len(tags) >= 2
    assert set(tags) == {VERSION}


def test_an_unknown_attribute_is_still_an_error() -> None:
    with pytest.raises(AttributeError, match="no_such_thing"):
        cfstep.no_such_thing  # type: ignore[attr-defined]  # noqa: B018
