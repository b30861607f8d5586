"""scripts/make-base-image names no package-mirror host: the mirror is apt's own, or the
one CFSTEP_DEBIAN_MIRROR names; without either it stops with one line saying so."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "make-base-image"


def _find_mirror_function() -> str:
    text = SCRIPT.read_text()
    match = re.search(r"^find_mirror\(\) \{\n.*?^\}\n", text, re.MULTILINE | re.DOTALL)
    assert match, "find_mirror() not found"
    return match.group(0)


def test_no_mirror_host_is_named() -> None:
    text = SCRIPT.read_text()
    hosts = re.findall(r"https?://([A-Za-z0-9.-]+\.[A-Za-z]{2,})", text)
    assert hosts == []


def test_without_a_mirror_in_apt_it_stops_naming_the_variable(tmp_path: Path) -> None:
    """find_mirror() run with apt's configuration files replaced by empty ones."""
    empty = tmp_path / "sources.list"
    empty.write_text("# no deb lines\n")
    function = _find_mirror_function().replace(
        "local files=(/etc/apt/sources.list /etc/apt/sources.list.d/*.sources "
        "/etc/apt/sources.list.d/*.list)",
        f"local files=({empty})",
    )
    assert str(empty) in function  # the replacement took
    script = (
        "set -euo pipefail\n"
        "say() { printf 'make-base-image: %s\\n' \"$*\" >&2; }\n"
        'die() { say "error: $*"; exit 1; }\n'
        f"{function}"
        "mirror=$(find_mirror)\n"
        'echo "reached with $mirror"\n'
    )
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=False)
    assert done.returncode == 1
    assert done.stdout == ""
    (line,) = done.stderr.splitlines()
    assert "CFSTEP_DEBIAN_MIRROR" in line


def test_a_mirror_in_apt_is_used(tmp_path: Path) -> None:
    listing = tmp_path / "sources.list"
    listing.write_text("deb http://mirror.example/debian bookworm main\n")
    function = _find_mirror_function().replace(
        "local files=(/etc/apt/sources.list /etc/apt/sources.list.d/*.sources "
        "/etc/apt/sources.list.d/*.list)",
        f"local files=({listing})",
    )
    script = f"die() {{ exit 1; }}\n{function}find_mirror\n"
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=False)
    assert done.stdout.strip() == "http://mirror.example/debian"
