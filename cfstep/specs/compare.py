"""Compare a pipeline spec with the pipeline Codefresh has, ignoring what the server adds.

Codefresh stores the spec and adds ids, a revision, dates, the account, the YAML text it
was given and an id per trigger. Those never make a spec "different"; everything else
does. A spec with encrypted variables cannot be compared at all: Codefresh reads their
values back as `*****` (README, "Pipelines from a spec").
"""

from __future__ import annotations

import copy
import json

from cfstep.inputs.spec_files import variable_lists

TYPE_CHECKING = False  # not from typing: a run never imports typing (docs/performance.md)
if TYPE_CHECKING:
    from typing import Any

SERVER_METADATA = frozenset(
    {
        "id",
        "revision",
        "accountId",
        "account",
        "created_at",
        "updated_at",
        "originalYamlString",
        "projectId",
        "project",
    }
)
MASK = "*****"
_LIST_KEYS = ("name", "key")  # list items are matched by these, not by position


def comparable(document: dict[str, Any]) -> dict[str, Any]:
    """The document without what the server adds."""
    result = copy.deepcopy(document)
    metadata = result.get("metadata")
    if isinstance(metadata, dict):
        for key in SERVER_METADATA:
            metadata.pop(key, None)
    body = result.get("spec")
    if isinstance(body, dict) and isinstance(body.get("triggers"), list):
        for trigger in body["triggers"]:
            if isinstance(trigger, dict):
                trigger.pop("id", None)
    return result


def has_encrypted(document: dict[str, Any]) -> bool:
    return any(item.get("encrypted") is True for item in variable_lists(document))


def with_trigger_ids(spec: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """The spec to send as a replacement: each trigger keeps the id Codefresh gave the trigger
    of the same name (so webhooks and links to it survive), and the current revision, so a
    change made meanwhile by someone else is refused rather than overwritten."""
    result = copy.deepcopy(spec)
    ids = {
        t.get("name"): t.get("id")
        for t in (current.get("spec") or {}).get("triggers") or []
        if isinstance(t, dict) and t.get("id")
    }
    for trigger in (result.get("spec") or {}).get("triggers") or []:
        if isinstance(trigger, dict) and "id" not in trigger and trigger.get("name") in ids:
            trigger["id"] = ids[trigger["name"]]
    revision = (current.get("metadata") or {}).get("revision")
    if revision is not None:  # also over a revision in the spec, exported long ago
        result.setdefault("metadata", {})["revision"] = revision
    return result


def changes(spec: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """The fields that differ, one readable line each: `~ path: old → new`, `+ path: new`,
    `- path: old`. Empty when the pipeline already is the spec."""
    lines: list[str] = []
    _walk(comparable(current), comparable(spec), "", lines)
    return lines


def _walk(old: object, new: object, path: str, lines: list[str]) -> None:
    if isinstance(old, dict) and isinstance(new, dict):
        for key in list(old) + [k for k in new if k not in old]:
            sub = f"{path}.{key}" if path and not str(key).startswith("[") else f"{path}{key}"
            if key not in new:
                if _blank(old[key]):
                    continue  # a default the server filled in, not a difference
                lines.append(f"- {sub}: {_short(old[key])}")
            elif key not in old:
                lines.append(f"+ {sub}: {_short(new[key])}")
            else:
                _walk(old[key], new[key], sub, lines)
        return
    if isinstance(old, list) and isinstance(new, list):
        keyed_old, keyed_new = _keyed(old), _keyed(new)
        if keyed_old is not None and keyed_new is not None:
            _walk(keyed_old, keyed_new, path, lines)
            return
    if old != new:
        lines.append(f"~ {path}: {_short(old)} → {_short(new)}")


def _blank(value: object) -> bool:
    """None, "", [], {} or a map of such: how the server fills in what a spec left out."""
    if isinstance(value, dict):
        return all(_blank(v) for v in value.values())
    return value is None or value in ("", [])


def _keyed(items: list[Any]) -> dict[str, Any] | None:
    """A list of maps that all carry a unique name (triggers) or key (variables), by it."""
    for field in _LIST_KEYS:
        names = [i.get(field) if isinstance(i, dict) else None for i in items]
        if items and all(isinstance(n, str) for n in names) and len(set(names)) == len(names):
            return {f"[{field}={n}]": _masked(i) for n, i in zip(names, items, strict=True)}
    return None


def _masked(item: Any) -> Any:
    """An encrypted variable's value is never shown, not even in a diff."""
    if isinstance(item, dict) and item.get("encrypted") is True and "value" in item:
        return {**item, "value": MASK}
    return item


def _short(value: object, limit: int = 120) -> str:
    text = json.dumps(_scrubbed(value), ensure_ascii=False, sort_keys=True)
    return text if len(text) <= limit else text[:limit] + "…"


def _scrubbed(value: object) -> object:
    if isinstance(value, dict):
        return {k: _scrubbed(v) for k, v in _masked(value).items()}
    if isinstance(value, list):
        return [_scrubbed(v) for v in value]
    return value
