"""Outputs (SPEC §3): KEY=VALUE lines in the export file Codefresh reads after the step.

Each value is appended the moment it is known (the child's id and URL before the wait), so it
survives a cancel; a later line for the same key wins when Codefresh reads the file.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping

from cfstep.console import Console
from cfstep.errors import InputError
from cfstep.values import shown

# Paths are plain strings: pathlib costs ~15 ms of start-up here and buys nothing (issue 5).
META_EXPORT = "/meta/env_vars_to_export"

_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def valid_key(key: str) -> bool:
    """An output name: letters, digits and _, not starting with a digit. Anything else (a
    line break, `=`, a space) would break the KEY=VALUE file or the shell that reads it."""
    return key.isascii() and _KEY.fullmatch(key) is not None


def locate(explicit: str | None, environ: Mapping[str, str], meta: str = META_EXPORT) -> str | None:
    """--export-file, else the typed step's /meta file, else the shared volume's."""
    if explicit is not None:
        return explicit
    if os.path.exists(meta):
        return meta
    volume = environ.get("CF_VOLUME_PATH", "").strip()
    return os.path.join(volume, "env_vars_to_export") if volume else None


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
            if not valid_key(key):
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
                f"warning: not exporting {shown(key)}: an output name is letters, digits and "
                "_, not starting with a digit"
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
            fd, temp = _temp_beside(path)
            os.close(fd)
            os.unlink(temp)
        except OSError as exc:
            problem = exc.strerror or str(exc)
    if problem is not None:
        raise InputError(f"OUTPUT_JSON: cannot write {path} ({problem}) — check the path")


def write_json(path: str, document: object) -> None:
    """Atomically: a temporary file in the same folder, then os.replace. The document holds
    values already masked where they came from outside (Exporter.values, returned values):
    masking the whole text would also cut a short secret out of the build ids."""
    text = json.dumps(document, indent=2, sort_keys=True) + "\n"
    try:
        fd, temp = _temp_beside(path)
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(temp, path)
    except OSError as exc:
        raise InputError(
            f"OUTPUT_JSON: cannot write {path} ({exc.strerror or exc}) — check the path"
        ) from exc


def _temp_beside(path: str) -> tuple[int, str]:
    """A new temporary file in the folder of `path`, so os.replace is atomic."""
    import tempfile  # only with --output-json: tempfile pulls shutil, bz2, lzma, random

    folder = os.path.dirname(path) or "."
    return tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
