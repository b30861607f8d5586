"""A MODIFIED_FILES_GLOB list: any glob matches, `!` globs exclude first, comments and empty
globs match nothing, a list of exclusions only keeps everything else (docs/monorepos.md)."""

from __future__ import annotations

import pytest

from cfstep.changes.globs import BRACE_LIMIT, BadGlob, Globs

API_NOT_DOCS = ["services/api/**", "!**/*.md"]


@pytest.mark.parametrize(
    ("globs", "path", "counts"),
    [
        (API_NOT_DOCS, "services/api/main.py", True),
        (API_NOT_DOCS, "services/api/README.md", False),
        (API_NOT_DOCS, "services/api/docs/deep/x.md", False),
        (API_NOT_DOCS, "services/web/main.py", False),
        (["!**/*.md", "services/api/**"], "services/api/README.md", False),
        (["services/api/**", "libs/**"], "libs/shared/x.py", True),
        (["!docs/**"], "services/api/x.py", True),
        (["!docs/**"], "docs/index.md", False),
        (["!docs/**", "!**/*.md"], "README.md", False),
        (["!!services/**"], "services/x", True),
        (["# services/**"], "# services/x", False),
        (["\\#a"], "#a", True),
        (["\\!a"], "!a", True),
        (["", "services/**"], "services/x", True),
        ([""], "x", False),
        ([], "x", False),
        (["!"], "x", False),
    ],
    ids=lambda v: repr(v) if isinstance(v, str) else None,
)
def test_a_list_counts_a_path(globs: list[str], path: str, counts: bool) -> None:
    assert Globs(globs).matches(path) is counts


def test_matching_keeps_the_order_of_the_paths() -> None:
    paths = ["b/x.py", "services/api/a.py", "services/api/a.md", "services/api/0.py"]
    assert Globs(API_NOT_DOCS).matching(paths) == ["services/api/a.py", "services/api/0.py"]


def test_braces_past_the_limit_are_refused() -> None:
    with pytest.raises(BadGlob, match=f"more than {BRACE_LIMIT:,} patterns"):
        Globs(["{a,b}" * 11])  # 2,048 patterns


def test_fifty_globs_over_twenty_thousand_paths_is_quick() -> None:
    """Not a timing test: one alternation per list, so the paths are read once per list."""
    globs = [f"services/s{i}/**" for i in range(49)] + ["!**/*.md"]
    paths = [f"services/s{i % 60}/src/f{i}.py" for i in range(20_000)]
    assert len(Globs(globs).matching(paths)) == sum(1 for i in range(20_000) if i % 60 < 49)
