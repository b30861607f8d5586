"""PIPELINE_SPEC: read and check every pipeline spec before the first request.

A spec is the document `codefresh get pipeline NAME -o yaml` writes and `codefresh create
pipeline -f` reads: `version`, `kind: pipeline`, `metadata.name` as `project/pipeline`,
`spec`. It is sent as written: `${{…}}` inside belongs to the child pipeline and is never
substituted. Every problem is an InputError naming the file and the field (README,
"Pipelines from a spec").
"""

from __future__ import annotations

import json

from cfstep import documents
from cfstep.console import shown
from cfstep.errors import InputError
from cfstep.inputs import globs, values
from cfstep.model import PipelineSpec

TYPE_CHECKING = False  # not from typing: a run never imports typing (docs/performance.md)
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

NAME = "PIPELINE_SPEC"
# A spec is a few hundred values; YAML aliases can make a small file expand to billions.
MAX_VALUES = 100_000
MAX_SPECS = 500
"""Spec files one step may read (a glob is bounded on its own too: `cfstep.inputs.globs`)."""
MAX_TOTAL_BYTES = 32_000_000
"""Bytes of all spec files together: each may be up to 1 MB, and all are held at once."""


def validator_yaml(spec: PipelineSpec) -> str | None:
    """What the YAML validator is given (as the official CLI builds it): version, steps and
    stages; None when the spec has no steps (it uses the repository's YAML)."""
    body = spec.document.get("spec") or {}
    if not body.get("steps") and not body.get("stages"):
        return None
    import yaml  # only for a spec with steps

    version = spec.document.get("version")
    part = {"version": version} if version else {}
    part.update({k: body[k] for k in ("steps", "stages") if body.get(k)})
    return str(yaml.safe_dump(part, sort_keys=False, allow_unicode=True))


def _encrypted_values(document: dict[str, Any]) -> tuple[str, ...]:
    """Values of encrypted variables: masked in every output like SECRETS."""
    return tuple(
        str(item["value"])
        for item in variable_lists(document)
        if item.get("encrypted") is True and item.get("value") not in (None, "")
    )


def read_specs(flag_values: Sequence[str] | None, env_text: str) -> tuple[PipelineSpec, ...]:
    """Every spec named by `--pipeline-spec` (repeatable paths or globs) or PIPELINE_SPEC
    (paths, globs, a list of them, or one inline spec map from a typed step)."""
    if flag_values:
        sources: Sequence[str] = flag_values
    elif not env_text.strip():
        return ()
    else:
        inline = _inline_map(env_text)
        if inline is not None:
            return (check(inline, "the inline spec"),)
        sources = values.parse_list(NAME, env_text)
    paths = [path for source in sources for path in _expand(source.strip())]
    if len(paths) > MAX_SPECS:
        raise InputError(
            f"{NAME}: names {len(paths)} files, more than {MAX_SPECS} — apply the specs in "
            "several steps, or narrow the patterns"
        )
    found = [check(data, path) for path, data in _load_all(paths)]
    _refuse_duplicates(found)
    return tuple(found)


def _inline_map(text: str) -> object:
    """The text as a map when it is one (a typed step passes an object as JSON); else None."""
    if not text.lstrip().startswith("{") and "kind:" not in text:
        return None
    data = documents.load_yaml(NAME, text, where="the inline spec", dates_as_text=True)
    return data if isinstance(data, dict) else None


def _expand(source: str) -> list[str]:
    if not source:
        return []
    if not globs.has_magic(source):
        return [source]
    matches = globs.expand(NAME, source)
    if not matches:
        raise InputError(
            f"{NAME}: {shown(source)} matches no file — check the pattern; it is "
            "read relative to the working directory"
        )
    return matches


def _load_all(paths: list[str]) -> list[tuple[str, object]]:
    loaded = []
    total = 0
    for path in paths:
        text = documents.read_text_file(NAME, path)
        total += len(text)
        if total > MAX_TOTAL_BYTES:
            raise InputError(
                f"{NAME}: the spec files add up to more than {MAX_TOTAL_BYTES // 1_000_000} MB "
                f"(at {path}) — apply the specs in several steps"
            )
        loaded.append((path, documents.load_yaml(NAME, text, where=path, dates_as_text=True)))
    return loaded


def check(data: object, where: str) -> PipelineSpec:
    """The document as a PipelineSpec, or an InputError naming `where` and the field."""
    if not isinstance(data, dict):
        kind = "nothing" if data is None else f"a {type(data).__name__}"
        raise InputError(
            f"{NAME}: {where} holds {kind}, not a pipeline spec — write a map with "
            "version, kind: pipeline, metadata.name and spec"
        )
    _check_size(data, where)
    if data.get("kind") != "pipeline":
        got = "is missing" if "kind" not in data else f"is {shown(str(data['kind']))}"
        raise InputError(f"{NAME}: {where}: kind {got} — a pipeline spec has kind: pipeline")
    metadata = data.get("metadata")
    name = metadata.get("name") if isinstance(metadata, dict) else None
    if name is None:
        raise InputError(
            f"{NAME}: {where}: metadata.name is missing — name the pipeline as project/pipeline"
        )
    project, _, pipeline = str(name).partition("/")
    if not isinstance(name, str) or not project.strip() or not pipeline.strip():
        raise InputError(
            f"{NAME}: {where}: metadata.name {shown(str(name))} is not "
            "project/pipeline — put the pipeline in a project, e.g. my-project/deploy"
        )
    values.pipeline_name(f"{NAME}: {where}: metadata.name", name)
    if not isinstance(data.get("spec", {}), dict):
        raise InputError(f"{NAME}: {where}: spec is not a map — give the pipeline's spec as a map")
    try:
        json.dumps(data)
    except (TypeError, ValueError) as exc:
        raise InputError(
            f"{NAME}: {where} holds a value JSON cannot carry ({exc}) — quote it as text"
        ) from exc
    return PipelineSpec(
        source=where, name=name, document=data, encrypted_values=_encrypted_values(data)
    )


def _check_size(data: object, where: str) -> None:
    """Count the values as JSON would write them (aliases expanded), without expanding."""
    sizes: dict[int, int] = {}
    open_ids: set[int] = set()

    def size(node: object) -> int:
        if not isinstance(node, dict | list):
            return 1
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in open_ids:
            raise InputError(
                f"{NAME}: {where} refers to itself through a YAML alias — write the values out"
            )
        open_ids.add(key)
        children = node.values() if isinstance(node, dict) else node
        total = 1
        for child in children:
            total += size(child)
            if total > MAX_VALUES:
                break
        open_ids.discard(key)
        sizes[key] = total
        return total

    if size(data) > MAX_VALUES:
        raise InputError(
            f"{NAME}: {where} expands to more than {MAX_VALUES} values (YAML aliases?) — "
            "a pipeline spec is far smaller; write the values out"
        )


def _refuse_duplicates(found: Sequence[PipelineSpec]) -> None:
    seen: dict[str, str] = {}
    for spec in found:
        if spec.name in seen:
            raise InputError(
                f"{NAME}: {seen[spec.name]} and {spec.source} both define {spec.name!r} — "
                "keep one spec per pipeline"
            )
        seen[spec.name] = spec.source


def variable_lists(document: dict[str, Any]) -> list[dict[str, Any]]:
    """The variables of the spec and of its triggers, as the maps they are written as."""
    body = document.get("spec")
    if not isinstance(body, dict):
        return []
    lists = [body.get("variables")]
    triggers = body.get("triggers")
    if isinstance(triggers, list):
        lists += [t.get("variables") for t in triggers if isinstance(t, dict)]
    return [
        item
        for found in lists
        if isinstance(found, list)
        for item in found
        if isinstance(item, dict)
    ]
