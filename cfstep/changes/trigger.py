"""MODIFIED_FILES_GLOB=trigger: the "Modified files" glob of the child's own git trigger, the
one TRIGGER_ID names or its only git trigger (docs/monorepos.md)."""

from __future__ import annotations

from cfstep.changes.base import CannotTell

TYPE_CHECKING = False  # not from typing: a run never imports typing (docs/performance.md)
if TYPE_CHECKING:
    from cfstep.codefresh.answers import PipelineTriggers, Trigger


class NoFilter(Exception):
    """The trigger has no Modified files glob: the child always runs, as its trigger would
    fire for any change. The message ends "runs — …"."""


def glob_of(pipeline: PipelineTriggers, trigger_name: str | None) -> tuple[str, str]:
    """The trigger's glob and the trigger's name."""
    trigger = _chosen(pipeline, trigger_name)
    if trigger.glob_unreadable:
        raise CannotTell(f"the Modified files glob of trigger {trigger.name} cannot be read")
    if trigger.modified_files_glob is None:
        raise NoFilter(
            f"its trigger {trigger.name} has no Modified files glob (MODIFIED_FILES_GLOB=trigger)"
        )
    return trigger.modified_files_glob, trigger.name


def _chosen(pipeline: PipelineTriggers, trigger_name: str | None) -> Trigger:
    if trigger_name:
        for trigger in pipeline.triggers:
            if trigger_name in (trigger.name, trigger.id):
                return trigger
        raise CannotTell(f"{pipeline.name} has no trigger {trigger_name} (TRIGGER_ID)")
    git = [t for t in pipeline.triggers if t.type in (None, "git")]
    if len(git) == 1:
        return git[0]
    if not git:
        raise CannotTell(f"{pipeline.name} has no git trigger to read a Modified files glob from")
    raise CannotTell(
        f"{pipeline.name} has {len(git)} git triggers — name the one whose Modified files glob "
        "counts with TRIGGER_ID (or `trigger` in its PIPELINES item)"
    )
