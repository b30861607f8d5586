"""Outputs: KEY=VALUE lines in the export file Codefresh reads after the step (README,
"Outputs").

Each value is appended the moment it is known (the child's id and URL before the wait), so it
survives a cancel; a later line for the same key wins when Codefresh reads the file.
"""

from __future__ import annotations

import json
import os
import re

from cfstep.console import shown
from cfstep.errors import InputError

TYPE_CHECKING = False  # not from typing: a run never imports typing (docs/performance.md)
if TYPE_CHECKING:
    from collections.abc import Mapping

    from cfstep.console import Console

# Paths are plain strings: pathlib costs ~15 ms of start-up here and buys nothing
# (docs/performance.md).
META_EXPORT = "/meta/env_vars_to_export"
_NAME_ATTEMPTS = 8  # temporary names tried; 48 random bits each, so a clash is next to impossible

_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# What a line of the KEY=VALUE file can carry as its key: a Codefresh step name may also
# hold `-` and `.` (`trigger-deploy`), which its link output keeps; a line break, `=`, a
# space or a control character would write other lines into the file.
_FILE_KEY = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")


def valid_key(key: str) -> bool:
    """A variable name for later steps (a returned value): letters, digits and _, not
    starting with a digit, as a shell reads it."""
    return key.isascii() and _KEY.fullmatch(key) is not None


def exportable_key(key: str) -> bool:
    """A key the export file can carry: a variable name, or a step's link output
    (`trigger-deploy_CF_OUTPUT_URL`)."""
    return key.isascii() and _FILE_KEY.fullmatch(key) is not None


def locate(explicit: str | None, volume_path: str | None, meta: str = META_EXPORT) -> str | None:
    """--export-file, else the typed step's /meta file, else the shared volume's
    (`volume_path`: CF_VOLUME_PATH).

    The folder /meta is what tells a typed step: the file in it may not exist yet (cfstep
    is then the first to export there), and the volume's file would not be read for this
    step's outputs (README, Outputs)."""
    if explicit is not None:
        return explicit
    if os.path.isdir(os.path.dirname(meta)):
        return meta
    return os.path.join(volume_path, "env_vars_to_export") if volume_path else None


class Exporter:
    """Appends outputs to the export file (if any) and remembers them for --output-json."""

    def __init__(self, path: str | None, console: Console) -> None:
        self.path = path
        self.values: dict[str, str] = {}
        self._console = console
        self._warned = False
        self._refused_keys: set[str] = set()
        if path is not None:
            # Fail now, before anything is started, if it cannot be written: an input error,
            # exit 5, nothing sent.
            try:
                self._append("")
            except OSError as exc:
                raise InputError(
                    f"EXPORT_FILE: cannot write {path} ({exc.strerror or exc}) — "
                    "check the path and its permissions"
                ) from exc

    def export(self, values: Mapping[str, str], *, mask: bool = True) -> None:
        """`mask=False` only for cfstep's own values (ids, URLs, statuses, durations): with
        a short secret such as `1`, masking would corrupt BUILD_ID for the later steps."""
        lines = []
        for key, value in values.items():
            if not exportable_key(key):
                self._refuse(key)
                continue
            text = self._console.mask(str(value)) if mask else str(value)
            single_line = " ".join(text.splitlines())
            if mask:  # and the final text: a secret's lines joined are a form of it too
                single_line = self._console.mask(single_line)
            self.values[key] = single_line
            lines.append(f"{key}={single_line}\n")
        try:
            self._append("".join(lines))
        except OSError as exc:
            # Writable at the start, not now: a child may be running, so its result, not an
            # input error, must decide the exit code. Say so once; --output-json still works.
            if not self._warned:
                self._warned = True
                self._console.say(
                    f"warning: cannot write the export file {self.path} any more "
                    f"({exc.strerror or exc}); later steps will not see these outputs"
                )

    def _refuse(self, key: str) -> None:
        if key not in self._refused_keys:
            self._refused_keys.add(key)
            self._console.say(
                f"warning: not exporting {shown(key)}: an output name is letters, digits, "
                "_, - and ., with no space, = or line break"
            )

    def _append(self, text: str) -> None:
        if self.path is None:
            return
        # One write of whole lines to a file opened for appending: other steps' lines stay,
        # and a reader never sees half a line.
        with open(self.path, "a", encoding="utf-8") as file:
            file.write(text)


def check_json_path(path: str) -> None:
    """Fail before anything is started (exit 5, nothing sent) when --output-json could not
    be written at the end, rather than after the child has run."""
    problem = "it is a folder" if os.path.isdir(path) else None
    if problem is None:
        try:
            fd, temp = _create_beside(path)
            os.close(fd)
            os.unlink(temp)
        except OSError as exc:
            problem = exc.strerror or str(exc)
    if problem is not None:
        raise InputError(f"OUTPUT_JSON: cannot write {path} ({problem}) — check the path")


def write_json(path: str, document: object, console: Console) -> None:
    """Atomically: a new file in the same folder, then os.replace. The document holds
    values already masked where they came from outside (Exporter.values, returned values):
    masking the whole text would also cut a short secret out of the build ids.

    Written after the child was started: a failure is a warning, like the export file's,
    and the child's result still decides the exit code; the temporary file is removed."""
    text = json.dumps(document, indent=2, sort_keys=True) + "\n"
    temp = None
    try:
        fd, temp = _create_beside(path)
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(temp, path)
    except OSError as exc:
        if temp is not None:
            _remove(temp)
        console.say(
            f"warning: cannot write the output JSON {path} ({exc.strerror or exc}); "
            "later steps will not find it"
        )


def _create_beside(path: str) -> tuple[int, str]:
    """A new file in the folder of `path` (so os.replace is atomic), made with the mode of
    any new file, 0666 less the umask (0644 as a rule), so a later step running as another
    user can read the result; tempfile.mkstemp would make it 0600 (and import shutil, bz2,
    lzma and random)."""
    folder = os.path.dirname(path) or "."
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    for _ in range(_NAME_ATTEMPTS):
        temp = os.path.join(folder, f".{os.path.basename(path)}.{os.urandom(6).hex()}.tmp")
        try:
            return os.open(temp, flags, 0o666), temp
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name beside {path}")


def _remove(path: str) -> None:
    import contextlib  # only after a failed write

    with contextlib.suppress(OSError):  # the warning about the write says what matters
        os.unlink(path)
