"""The inputs of only what changed (docs/monorepos.md): MODIFIED_FILES_GLOB (and a PIPELINES
item's `modified_files_glob`), CHANGED_SINCE, CHANGED_FILES and REPO_DIR, read and checked
before the first request, as every input is. git is not asked anything here: whether a
CHANGED_SINCE revision exists is checked by `cfstep.changes.decide`, still before anything
is sent.
"""

from __future__ import annotations

import os

from cfstep import documents
from cfstep.console import shown
from cfstep.errors import InputError
from cfstep.model import FROM_TRIGGER, MAX_GLOB_CHARS, OnlyChanged

TYPE_CHECKING = False  # not from typing: a run never imports typing (docs/performance.md)
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from cfstep.inputs.given import Given

SINCE_WORDS = ("auto", "target", "last-success")
MAX_REVISION_CHARS = 256
MAX_LIST_FILE_BYTES = 16 * 1024 * 1024
"""The largest CHANGED_FILES @file: a list of some 200,000 paths."""
_C_ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}


def read(given: Given, environ: Mapping[str, str]) -> OnlyChanged:
    """CHANGED_SINCE, CHANGED_FILES and REPO_DIR, with what the build tells about itself."""
    listed, from_file = _changed_files(given)
    return OnlyChanged(
        since=_since(given.text("CHANGED_SINCE") or "auto"),
        changed_files=listed,
        changed_files_from=from_file,
        repo_dir=given.text("REPO_DIR") or _default_repo_dir(environ),
        pull_request_target=environ.get("CF_PULL_REQUEST_TARGET", "").strip() or None,
        branch=environ.get("CF_BRANCH", "").strip() or None,
        search_path=environ.get("PATH", os.defpath),
    )


def step_globs(given: Given) -> tuple[str, ...]:
    """MODIFIED_FILES_GLOB: every child's, unless a PIPELINES item gives its own."""
    name = "MODIFIED_FILES_GLOB"
    flag = given.flags.get(name)
    items = flag if flag is not None else _lines(name, given.environ.get(name, ""), "glob")
    return checked_globs(name, items)


def item_globs(name: str, value: object) -> tuple[str, ...]:
    """A PIPELINES item's `modified_files_glob`: one glob (a line each), or a list."""
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    texts = []
    for item in items:
        if not isinstance(item, str):
            kind = {"dict": "map"}.get(type(item).__name__, type(item).__name__)
            raise InputError(
                f"{name}: holds a {kind}, not a glob — write a glob, or a list of globs "
                "(quote one that starts with ! or *)"
            )
        texts += item.splitlines()
    return checked_globs(name, texts)


def checked_globs(name: str, items: Sequence[str]) -> tuple[str, ...]:
    globs = tuple(item.strip() for item in items if item.strip())
    if any(glob.lower() == FROM_TRIGGER[0] for glob in globs):
        if len(globs) > 1:
            raise InputError(
                f"{name}: `trigger` (the child's own trigger's Modified files glob) is given "
                "with other globs — give `trigger` alone, or the globs alone"
            )
        return FROM_TRIGGER
    for glob in globs:
        if len(glob) > MAX_GLOB_CHARS:
            raise InputError(
                f"{name}: the glob {shown(glob)} is {len(glob):,} characters, more than the "
                f"{MAX_GLOB_CHARS:,} Codefresh allows — split it into a list of shorter globs"
            )
        if ".." in glob.lstrip("!").split("/"):
            raise InputError(
                f"{name}: the glob {shown(glob)} holds a `..` folder, but changed paths are "
                "read from the repository's root and never hold one — remove it"
            )
    return globs


def _since(text: str) -> str:
    if text.lower() in SINCE_WORDS:
        return text.lower()
    if (
        text.startswith("-")
        or len(text) > MAX_REVISION_CHARS
        or any(c.isspace() or not c.isprintable() for c in text)
    ):
        raise InputError(
            f"CHANGED_SINCE: {shown(text)} is neither auto, target, last-success nor a git "
            "revision — give one of the three words, or a commit, tag or branch (e.g. HEAD~1)"
        )
    return text


def _default_repo_dir(environ: Mapping[str, str]) -> str:
    """Where Codefresh's git-clone step puts the repository: `$CF_VOLUME_PATH/$CF_REPO_NAME`
    (the working directory of later steps), else the step's own folder."""
    volume = environ.get("CF_VOLUME_PATH", "").strip()
    repo = environ.get("CF_REPO_NAME", "").strip()
    return os.path.join(volume, repo) if volume and repo else "."


def _changed_files(given: Given) -> tuple[tuple[str, ...] | None, str | None]:
    """CHANGED_FILES: the paths, and the file they came from (`@path`); (None, None) when
    not given (git is asked)."""
    name = "CHANGED_FILES"
    flag = given.flags.get(name)
    text = given.environ.get(name, "")
    if flag is None and not text.strip():
        return None, None
    items = flag if flag is not None else _lines(name, text, "path")
    if len(items) == 1 and items[0].strip().startswith("@"):
        path = items[0].strip()[1:]
        return _paths(_list_file(name, path)), path
    return _paths(items), None


def _lines(name: str, text: str, what: str) -> list[str]:
    """An environment list of globs or paths: a YAML list (as a typed step passes one, or
    `[a, b]`, or `- a` lines), else one per line. Unlike other lists, text that looks like a
    YAML list but is not one is not read as lines: `- !**/*.md` is a YAML tag, not a glob."""
    if not text.strip():
        return []
    fast = documents.json_as_yaml(text)
    if isinstance(fast, list):
        return fast
    if text.lstrip().startswith(("[", "-")):
        data = documents.load_yaml_or_none(name, text)
        if isinstance(data, list):
            return [_scalar(name, item, what) for item in data]
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for line in lines:
        if line.startswith("- "):
            raise InputError(
                f"{name}: {shown(line)} looks like an item of a YAML list, but the text is not "
                f"valid YAML — quote a {what} that starts with !, * or @ (- '!**/*.md'), or "
                f"give one {what} per line without `- `"
            )
    return lines


def _scalar(name: str, item: object, what: str) -> str:
    if isinstance(item, str | int | float) and not isinstance(item, bool):
        return str(item)
    kind = {"dict": "map"}.get(type(item).__name__, type(item).__name__)
    raise InputError(
        f"{name}: a list item is a {kind}, not a {what} — write each {what} "
        "as text (quote one that starts with !, * or @)"
    )


def _paths(items: Sequence[str]) -> tuple[str, ...]:
    """Paths as git names them: from the repository's root, `/`-separated; a line git
    quoted (`"caf\\303\\251.txt"`) is unquoted, a leading `./` dropped."""
    found = []
    for item in items:
        path = item.strip()
        if len(path) >= 2 and path[0] == path[-1] == '"':
            path = _unquoted(path[1:-1])
        while path.startswith("./"):
            path = path[2:]
        if path:
            found.append(path)
    return tuple(found)


def _unquoted(text: str) -> str:
    """A path as `git diff --name-only` quotes one with special characters (C escapes,
    octal bytes)."""
    raw = bytearray()
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            following = text[i + 1]
            if following in _C_ESCAPES:
                raw.append(_C_ESCAPES[following])
                i += 2
                continue
            if text[i + 1 : i + 4].isdigit() and len(text[i + 1 : i + 4]) == 3:
                raw.append(int(text[i + 1 : i + 4], 8) & 0xFF)
                i += 4
                continue
        raw += char.encode("utf-8")
        i += 1
    return raw.decode("utf-8", "replace")


def _list_file(name: str, path: str) -> list[str]:
    """A CHANGED_FILES @file: a regular file only (a FIFO would never end), up to
    MAX_LIST_FILE_BYTES; one path per line, or NUL-separated (`git diff -z`)."""
    if not path:
        raise InputError(f"{name}: `@` names no file — write @ and the path, e.g. @changed.txt")
    data = documents.read_regular_file(name, path, MAX_LIST_FILE_BYTES)
    if len(data) > MAX_LIST_FILE_BYTES:
        raise InputError(
            f"{name}: @{path} is larger than {MAX_LIST_FILE_BYTES >> 20} MB — give fewer paths"
        )
    text = data.decode("utf-8", "replace")
    return text.split("\0") if "\0" in text else text.splitlines()
