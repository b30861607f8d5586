"""Every YAML or JSON text an input holds is read here: files (VARIABLE_FILE, YAML), the
PIPELINES list, environment lists and conditions.

YAML is read by a safe loader that refuses, with a one-line input error (exit 5), a
document whose aliases would expand to more than `MAX_ALIAS_NODES` nodes (a "billion
laughs" file of a few hundred bytes) or whose nesting goes deeper than `MAX_DEPTH`: inputs
such as VARIABLE_FILE may come from a pull request. README, "Inputs".
"""

from __future__ import annotations

import json
import os
import stat

from cfstep.console import shown
from cfstep.errors import InputError

TYPE_CHECKING = False  # not from typing: a run never imports typing (docs/performance.md)
if TYPE_CHECKING:
    from typing import Any

MAX_FILE_BYTES = 1_000_000
MAX_DEPTH = 64
"""Deepest nesting of lists and maps; the deepest real input (PIPELINES) needs 4."""
MAX_ALIAS_NODES = 10_000
"""Most nodes that aliases (`*name`) may add to a document by repeating an anchor."""


class TooComplex(InputError):
    """A YAML document over the alias or depth budget: never taken as plain text."""


def json_as_yaml(text: str) -> list[str] | dict[str, str] | None:
    """A JSON list of strings, or object of strings, when YAML would read exactly the same.

    A typed step hands lists and maps over as one line of JSON (step.yaml); for those in
    plain ASCII, YAML reads exactly what json reads, and json is loaded already: the run is
    spared importing yaml (~30 ms, docs/performance.md). `\\u` escapes (YAML keeps surrogate
    pairs apart), DEL and tabs (YAML refuses them) are left to YAML."""
    if not text.isascii() or "\\u" in text or "\x7f" in text or "\t" in text:
        return None
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):  # too deep for json: YAML says so with exit 5
        return None
    if isinstance(data, list) and all(isinstance(item, str) for item in data):
        return data
    if isinstance(data, dict) and all(isinstance(v, str) for v in data.values()):
        return data
    return None


def load_yaml(
    name: str,
    text: str,
    *,
    where: str = "the value",
    dates_as_text: bool = False,
    fix: str = "fix the syntax",
) -> object:
    """The YAML (or JSON) document in `text`; InputError naming `name` when it is not one,
    with `fix` as what to do. `dates_as_text`: a date stays the text it was written as (a
    pipeline spec is sent as written), not a datetime."""
    import yaml  # only for an input that needs YAML: keeps the common start-up light

    if "\x00" in text:
        raise InputError(f"{name}: {where} holds binary data — give YAML or JSON text")
    loader = None
    try:
        # Inside the try: the reader refuses a control character as soon as it is made.
        loader = _bounded_loader(dates_as_text)(text, name, where)
        return loader.get_single_data()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "invalid syntax"
        raise InputError(f"{name}: {where} is not valid YAML/JSON ({problem}{at}) — {fix}") from exc
    finally:
        if loader is not None:
            loader.dispose()


def load_yaml_or_none(name: str, text: str) -> object | None:
    """`load_yaml`, but None for text that is not YAML at all (the caller then takes it as
    plain text); a document over the budgets is still an error."""
    try:
        return load_yaml(name, text)
    except TooComplex:
        raise
    except InputError:
        return None


def read_text_file(name: str, path_text: str, *, limit: int = MAX_FILE_BYTES) -> str:
    """The UTF-8 text of the regular file at `path_text`, at most `limit` bytes; InputError
    naming `name` otherwise. The one reader of every file an input names (docs/inputs.md,
    "Files that inputs name")."""
    data = read_regular_file(name, path_text, limit)
    if len(data) > limit:
        raise InputError(f"{name}: {path_text} is larger than {_size(limit)} — give a smaller file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{name}: {path_text} is not UTF-8 text — give a text file") from exc
    # As text mode would: universal newlines.
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_regular_file(name: str, path_text: str, limit: int) -> bytes:
    """At most `limit + 1` bytes of a regular file. A FIFO, a device, a socket or a folder
    is refused before it is read, and opened (if at all) without waiting for a writer: a
    path from a pull request must never block the step or read without end."""
    try:
        _refuse_special(name, path_text, os.stat(path_text).st_mode)
        fd = os.open(path_text, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
        with os.fdopen(fd, "rb") as file:
            # Checked again on what was opened: the path may have changed meanwhile.
            _refuse_special(name, path_text, os.fstat(file.fileno()).st_mode)
            return file.read(limit + 1)
    except OSError as exc:
        raise InputError(
            f"{name}: cannot read {path_text} ({exc.strerror or exc}) — check the path"
        ) from exc
    except ValueError:  # a NUL byte in the path: no file has such a name
        raise InputError(
            f"{name}: {shown(path_text)} holds a NUL character — give the path of a file"
        ) from None


def _refuse_special(name: str, path_text: str, mode: int) -> None:
    if stat.S_ISREG(mode):
        return
    kind = "a folder" if stat.S_ISDIR(mode) else _SPECIAL.get(stat.S_IFMT(mode), "not a file")
    raise InputError(f"{name}: {path_text} is {kind}, not a regular file — give the path of a file")


_SPECIAL = {
    stat.S_IFIFO: "a named pipe (FIFO)",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}


def _size(limit: int) -> str:
    return f"{limit // 1_000_000} MB" if limit >= 1_000_000 else f"{limit:,} bytes"


def read_yaml_file(name: str, path_text: str) -> object:
    """A YAML or JSON file (JSON is YAML)."""
    return load_yaml(name, read_text_file(name, path_text), where=path_text)


_LOADERS: dict[bool, Any] = {}


def _bounded_loader(dates_as_text: bool) -> Any:
    """yaml.SafeLoader, counting while it composes: the nesting depth and the nodes each
    alias stands for. The pure-Python composer is the one with a hook for this (libyaml's
    composes in C); inputs are at most 1 MB, and most never reach YAML (`json_as_yaml`).
    Made once per kind, on first use, as yaml loads."""
    if dates_as_text not in _LOADERS:
        _LOADERS[dates_as_text] = _make_loader(dates_as_text)
    return _LOADERS[dates_as_text]


def _make_loader(dates_as_text: bool) -> Any:
    import yaml  # as in load_yaml: only an input that needs YAML loads it

    class BoundedLoader(yaml.SafeLoader):
        if dates_as_text:
            yaml_implicit_resolvers = {
                first: [(tag, rx) for tag, rx in entries if tag != "tag:yaml.org,2002:timestamp"]
                for first, entries in yaml.SafeLoader.yaml_implicit_resolvers.items()
            }

        def __init__(self, text: str, name: str, where: str) -> None:
            super().__init__(text)
            self._name, self._where = name, where
            self._depth = 0
            self._alias_nodes = 0
            self._sizes: dict[int, tuple[int, int]] = {}  # id(node) → (nodes, depth)

        def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
            if self.check_event(yaml.AliasEvent):
                node = super().compose_node(parent, index)
                nodes, _ = self._sizes.get(id(node), (1, 1))
                self._alias_nodes += nodes
                if self._alias_nodes > MAX_ALIAS_NODES:
                    self._refuse(
                        f"uses YAML aliases that expand to more than {MAX_ALIAS_NODES} "
                        "nodes — write the values out instead of repeating anchors"
                    )
                return node
            self._depth += 1
            if self._depth > MAX_DEPTH:
                self._refuse(f"is nested more than {MAX_DEPTH} levels deep — flatten it")
            node = super().compose_node(parent, index)
            self._depth -= 1
            if node is not None:
                self._measure(node)
            return node

        def _measure(self, node: yaml.Node) -> None:
            """Nodes and depth of `node` with every alias in it expanded."""
            children: list[Any] = []
            if isinstance(node, yaml.SequenceNode):
                children = node.value
            elif isinstance(node, yaml.MappingNode):
                children = [part for pair in node.value for part in pair]
            sizes = [self._sizes.get(id(child), (1, 1)) for child in children]
            depth = 1 + max((d for _, d in sizes), default=0)
            if depth > MAX_DEPTH:
                self._refuse(f"is nested more than {MAX_DEPTH} levels deep — flatten it")
            self._sizes[id(node)] = (1 + sum(n for n, _ in sizes), depth)

        def _refuse(self, problem: str) -> None:
            raise TooComplex(f"{self._name}: {self._where} {problem}")

    return BoundedLoader


def check_ca_bundle(name: str, path: str) -> None:
    """A CA bundle that cannot be read is an input error, found before any request."""
    if os.path.isdir(path) and os.access(path, os.R_OK):
        return  # a directory of hashed certificates, as OpenSSL's capath
    try:
        head = read_regular_file(name, path, 1 << 20)
    except InputError as exc:
        raise InputError(
            f"{exc.message.partition(' — ')[0]} — give the path of a PEM file with the CA "
            "certificates to trust"
        ) from None
    if b"CERTIFICATE-----" not in head:
        raise InputError(
            f"{name}: {path!r} holds no PEM certificate — give a PEM file with the CA "
            "certificates to trust (-----BEGIN CERTIFICATE----- blocks)"
        )
