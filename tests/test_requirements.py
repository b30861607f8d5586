"""The image's pins (requirements/*.txt) keep in step with pyproject.toml: every dependency
pinned, each pin inside pyproject's range and hashed, and the image installs only them."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
RUNTIME = ROOT / "requirements" / "runtime.txt"
BUILD = ROOT / "requirements" / "build.txt"

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)")
HASH = re.compile(r"--hash=sha256:[0-9a-f]{64}\b")


def pins(text: str) -> dict[str, tuple[str, int]]:
    """`name: (version, number of sha256 hashes)` of a pip-compile file; a requirement
    that is not `name==version` fails, since it would not be reproducible."""
    found: dict[str, tuple[str, int]] = {}
    # A requirement runs over continuation lines (`\`), its hashes included.
    for line in re.sub(r"\\\n", " ", text).splitlines():
        entry = line.split(" #", 1)[0].strip()
        if not entry or entry.startswith("#"):
            continue
        match = PIN.match(entry)
        assert match, f"not pinned as name==version: {entry[:80]}"
        found[canonicalize_name(match[1])] = (match[2], len(HASH.findall(entry)))
    return found


def disagreements(requires: list[str], pinned: dict[str, tuple[str, int]]) -> list[str]:
    """What keeps the pins from installing `requires` reproducibly; empty when in step."""
    problems = []
    for text in requires:
        requirement = Requirement(text)
        name = canonicalize_name(requirement.name)
        if name not in pinned:
            problems.append(f"{requirement.name} is not pinned")
        elif not requirement.specifier.contains(Version(pinned[name][0]), prereleases=True):
            problems.append(f"{requirement.name}=={pinned[name][0]} is outside {text!r}")
    problems += [f"{name}=={version} has no hash" for name, (version, n) in pinned.items() if not n]
    return problems


def test_runtime_pins_agree_with_the_project_dependencies() -> None:
    pinned = pins(RUNTIME.read_text(encoding="utf-8"))
    assert disagreements(PROJECT["project"]["dependencies"], pinned) == []


def test_build_pins_agree_with_the_build_system() -> None:
    pinned = pins(BUILD.read_text(encoding="utf-8"))
    assert disagreements(PROJECT["build-system"]["requires"], pinned) == []


def test_the_runtime_pins_hold_requests_and_its_dependencies() -> None:
    pinned = pins(RUNTIME.read_text(encoding="utf-8"))
    assert {"requests", "certifi", "charset-normalizer", "idna", "urllib3"} <= set(pinned)


GOOD = {"pyyaml": ("6.0.2", 3), "simpleeval": ("1.0.3", 1)}


@pytest.mark.parametrize(
    ("requires", "pinned", "problem"),
    [
        (["pyyaml>=6", "requests>=2.31"], GOOD, "requests is not pinned"),
        (["PyYAML>=7"], GOOD, "PyYAML==6.0.2 is outside 'PyYAML>=7'"),
        (["simpleeval>=1.0"], {"simpleeval": ("1.0.3", 0)}, "simpleeval==1.0.3 has no hash"),
    ],
    ids=["missing", "outside-the-range", "no-hash"],
)
def test_a_disagreement_is_found(
    requires: list[str], pinned: dict[str, tuple[str, int]], problem: str
) -> None:
    assert problem in disagreements(requires, pinned)


def test_names_are_compared_as_pip_does() -> None:
    assert disagreements(["PyYAML>=6", "Simple_Eval>=1"], {**GOOD, "simple-eval": ("1", 1)}) == []


def test_a_range_in_a_requirements_file_is_refused() -> None:
    with pytest.raises(AssertionError, match="not pinned"):
        pins("pyyaml>=6 \\\n    --hash=sha256:" + "0" * 64 + "\n")


def test_the_image_installs_only_the_pins_with_their_hashes() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "COPY requirements/ requirements/" in dockerfile
    for name in ("build", "runtime"):
        assert re.search(
            rf"install \\?\s*--require-hashes --no-deps --requirement requirements/{name}\.txt",
            dockerfile,
        ), name
    assert "--no-build-isolation" in dockerfile  # else pip fetches an unpinned setuptools
    assert "pip --python /opt/cfstep/bin/python check" in dockerfile
    assert "!requirements/" in (ROOT / ".dockerignore").read_text(encoding="utf-8")
    build_image = (ROOT / "scripts" / "build-image").read_text(encoding="utf-8")
    assert "requirements=(requirements/runtime.txt requirements/build.txt)" in build_image
    assert "--require-hashes --no-deps" in build_image
