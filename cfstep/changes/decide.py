"""Which children run (docs/monorepos.md): a child with MODIFIED_FILES_GLOB runs when one of
its changed files matches, is skipped when none does, and runs whenever what changed cannot
be told, each with one line saying which and why. Deciding prints nothing; `tell` says it
and exports CHANGED_FILES_COUNT.

Two phases, both before any child is triggered: `check` before anything at all is sent (a
glob that cannot be matched, a CHANGED_SINCE revision a full clone lacks: exit 5), `decide`
once the pipelines are as PIPELINE_SPEC makes them (a trigger's glob is read from them).
"""

from __future__ import annotations

from dataclasses import dataclass

from cfstep.changes.base import CannotTell, Sources
from cfstep.changes.globs import BadGlob, Globs
from cfstep.changes.trigger import NoFilter, glob_of
from cfstep.console import clip, escaped
from cfstep.errors import InputError
from cfstep.model import FROM_TRIGGER

TYPE_CHECKING = False  # not from typing: a run never imports typing (docs/performance.md)
if TYPE_CHECKING:
    from collections.abc import Sequence

    from cfstep import outputs
    from cfstep.changes.base import BuildHistory, Changed
    from cfstep.console import Console
    from cfstep.model import ChildSpec, OnlyChanged

SHOWN_GLOBS_CHARS = 200


@dataclass(frozen=True)
class Decision:
    """One child with MODIFIED_FILES_GLOB: whether it runs, who it is, why, and the changed
    files it was decided on (None: what changed could not be told)."""

    runs: bool
    who: str
    why: str
    changed: Changed | None = None

    @property
    def line(self) -> str:
        """The one line that tells the decision: `#2 shop/web: skipped — <why>`."""
        return f"{self.who}: {'runs' if self.runs else 'skipped'} — {self.why}"


class Decider:
    """The decisions of one run, made only when some child has MODIFIED_FILES_GLOB."""

    def __init__(
        self,
        children: Sequence[ChildSpec],
        settings: OnlyChanged,
        history: BuildHistory,
    ) -> None:
        self.children = tuple(children)
        self.many = len(self.children) > 1
        self.sources = Sources(settings, history)
        self._globs: dict[tuple[str, ...], Globs] = {}

    def check(self) -> None:
        """Every given glob compiled, and CHANGED_SINCE's revision looked up: InputError
        before anything is sent."""
        for index, child in enumerate(self.children, start=1):
            globs = child.modified_files_glob
            if globs and globs != FROM_TRIGGER:
                try:
                    self._compiled(globs)
                except BadGlob as exc:
                    raise InputError(
                        f"MODIFIED_FILES_GLOB{self._of(index, child)}: "
                        f"{_shown(globs)} cannot be matched: {exc} — write it as Codefresh's "
                        "Modified files filter reads it (docs/monorepos.md, How globs match)"
                    ) from None
        self.sources.check()

    def decide(self) -> dict[int, Decision]:
        """A decision for each child (by its place, from 1) that has MODIFIED_FILES_GLOB."""
        return {
            index: self._one(index, child)
            for index, child in enumerate(self.children, start=1)
            if child.modified_files_glob
        }

    def _one(self, index: int, child: ChildSpec) -> Decision:
        who = f"#{index} {child.pipeline}" if self.many else child.pipeline
        try:
            globs, shown = self._globs_of(child)
            changed = self.sources.changed(child)
        except NoFilter as exc:
            return Decision(True, who, str(exc))
        except CannotTell as exc:
            return Decision(True, who, f"cannot tell what changed: {exc.reason}")
        files = changed.files
        if not files:
            return Decision(False, who, f"no file {changed.described}", changed)
        matching = globs.matching(files)
        counted = f"{_files(len(files))} {changed.described}"
        if matching:
            # git allows any character in a name: a line break or ESC is shown, never written
            first = clip(escaped(matching[0]), 200)
            why = f"{counted}, {len(matching)} matching {shown} (first: {first})"
            return Decision(True, who, why, changed)
        return Decision(False, who, f"{counted}, none matching {shown}", changed)

    def _globs_of(self, child: ChildSpec) -> tuple[Globs, str]:
        globs = child.modified_files_glob
        if globs != FROM_TRIGGER:
            return self._compiled(globs), _shown(globs)
        pipeline = self.sources.history.pipeline(child.pipeline)
        glob, trigger = glob_of(pipeline, child.trigger)
        try:
            return self._compiled((glob,)), f"{_shown((glob,))} (trigger {trigger})"
        except BadGlob as exc:
            raise CannotTell(f"the Modified files glob of trigger {trigger}: {exc}") from None

    def _compiled(self, globs: tuple[str, ...]) -> Globs:
        if globs not in self._globs:
            self._globs[globs] = Globs(globs)
        return self._globs[globs]

    def _of(self, index: int, child: ChildSpec) -> str:
        return f" of PIPELINES item {index} ({child.pipeline})" if self.many else ""


def skipped(decisions: dict[int, Decision]) -> dict[int, str]:
    """The children (by place) not to trigger, each with why (the run's skip hook)."""
    return {index: decision.why for index, decision in decisions.items() if not decision.runs}


def tell(
    decisions: dict[int, Decision],
    console: Console,
    exporter: outputs.Exporter,
    *,
    many: bool,
    debug: bool,
) -> None:
    """One line per decision; CHANGED_FILES_COUNT (and _<n> with several children), empty
    where it could not be told; with DEBUG, each list of changed files once."""
    for decision in decisions.values():
        console.say(decision.line)
    known = [d.changed for d in decisions.values() if d.changed is not None]
    values: dict[str, str] = {}
    if many:
        for index, decision in decisions.items():
            values[f"CHANGED_FILES_COUNT_{index}"] = _count(decision.changed)
        union = {path for changed in known for path in changed.files}
        values["CHANGED_FILES_COUNT"] = str(len(union)) if known else ""
    else:
        values["CHANGED_FILES_COUNT"] = _count(next(iter(decisions.values())).changed)
    exporter.export(values, mask=False)
    if debug:
        for changed in {c.described: c for c in known}.values():
            console.say_lines(
                [f"debug: {_files(len(changed.files))} {changed.described}:"]
                + [f"debug:   {escaped(path)}" for path in changed.files]
            )


def _count(changed: Changed | None) -> str:
    return "" if changed is None else str(len(changed.files))


def _files(count: int) -> str:
    return "1 file" if count == 1 else f"{count:,} files"


def _shown(globs: tuple[str, ...]) -> str:
    return clip(escaped(", ".join(globs)), SHOWN_GLOBS_CHARS)
