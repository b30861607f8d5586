"""What the step tells about its children: the export file (written as each value becomes
known), the log lines, the failed child's log tail, the values a child returns, the JSON
document and the summary table (README, "Outputs"; docs/fanout.md).
"""

from __future__ import annotations

from collections.abc import Callable

from cfstep import outputs
from cfstep.codefresh.client import CodefreshClient
from cfstep.console import Console, duration, shown
from cfstep.errors import Cancelled, CfstepError
from cfstep.logs import live, tail
from cfstep.model import FINAL_STATUSES, Config, Outcome
from cfstep.run import results
from cfstep.run.follow import Child, Follower
from cfstep.timing import Clock

TYPE_CHECKING = False  # not from typing: a run never imports typing (docs/performance.md)
if TYPE_CHECKING:
    import requests

ANNOTATIONS_BUDGET_SECONDS = 20.0
# Outcomes whose log is worth showing: the child failed on its own.
_QUIET_OUTCOMES = (Outcome.SUCCESS, Outcome.DETACHED, Outcome.PENDING_APPROVAL, Outcome.TIMEOUT)


class Report:
    def __init__(
        self,
        *,
        config: Config,
        console: Console,
        clock: Clock,
        exporter: outputs.Exporter,
        client: CodefreshClient,
        follower: Follower,
        live: live.LiveLogs,
        log_session: Callable[[], requests.Session],
        skipped: frozenset[int] = frozenset(),
    ) -> None:
        self.config = config
        self.console = console
        self.clock = clock
        self.exporter = exporter
        self.client = client
        self.follower = follower
        self.live = live
        self.log_session = log_session  # keyless, for the hosts that keep logs
        self.skipped = skipped  # not triggered: their files did not change (MODIFIED_FILES_GLOB)
        self.many = len(config.children) > 1
        self.slots: list[Child | None] = [None] * max(1, len(config.children))
        self.durations: dict[int, float] = {}  # by child index, once it is done with
        self.returned: dict[int, dict[str, str]] = {}  # values back, by child index
        self.started_at = clock()

    def who(self, index: int, pipeline: str) -> str:
        """A child in a line of the log: in a fan-out, its place too (#2 pipeline), as the
        status lines name it, since one pipeline may run several times."""
        return f"#{index} {pipeline}" if self.many else pipeline

    def _name(self, key: str, child: Child) -> str:
        return f"{key}_{child.index}" if self.many else key

    # -- as it happens --------------------------------------------------------------------

    def started(self, child: Child) -> None:
        """The child exists: export its id and URL before any waiting, so they survive a
        cancel."""
        self.slots[child.index - 1] = child
        started = [c for c in self.slots if c is not None]
        values = {
            "BUILD_ID": " ".join(c.build_id for c in started),
            "BUILD_URL": " ".join(c.url for c in started),
        }
        if self.many:
            values[f"BUILD_ID_{child.index}"] = child.build_id
            values[f"BUILD_URL_{child.index}"] = child.url
        if child is started[0]:
            for step in self._linked_steps():
                self._add_link(values, step, child.url)
        self.exporter.export(values, mask=False)

    def _add_link(self, values: dict[str, str], step: str, url: str) -> None:
        key = f"{step}_CF_OUTPUT_URL"
        if outputs.exportable_key(key):
            values[key] = url
        else:  # a name that could write other lines into the export file
            self.console.say(
                f"warning: the step name {shown(step)} holds a space, `=`, a line break or "
                "another character an output name cannot; its link output "
                "(<CF_STEP_NAME>_CF_OUTPUT_URL) is not exported"
            )

    def _linked_steps(self) -> list[str]:
        """Steps that show the (first) child's URL as a link in Codefresh's UI: this step
        (CF_STEP_NAME) and, inside the typed step, cfstep's own step in step.yaml's
        stepsTemplate (README, Outputs)."""
        platform = self.config.platform
        return list(dict.fromkeys(n for n in (platform.step_name, platform.typed_step) if n))

    def ended(self, child: Child) -> None:
        """The child has its outcome: exports its status at once, then lets its live log
        drain, shows the log tail of a child that failed on its own (unless its lines were
        shown live), reads its returned values (annotations, retried for up to
        ANNOTATIONS_BUDGET_SECONDS) and says what became of it."""
        seconds = self.follower.reported_duration(child, self.clock())
        self.durations[child.index] = seconds
        # Exported first: a log or an annotation read cut short by a cancel loses nothing.
        self.exporter.export(
            {
                self._name("BUILD_STATUS", child): child.outcome or "",
                self._name("BUILD_DURATION_SECONDS", child): f"{seconds:.0f}",
            },
            mask=False,
        )
        # Its last live lines before its summary.
        self.live.ended(
            child.index, drain=child.status in FINAL_STATUSES and not child.stopped_by_step
        )
        if (
            child.outcome not in _QUIET_OUTCOMES
            and not child.stopped_by_step
            and not self.live.shown_whole(child.index)
        ):
            tail.show(
                self.console,
                self.client,
                self.log_session(),
                progress=child.build.progress if child.build else None,
                build_id=child.build_id,
                url=child.url,
                count=self.config.log_tail,
            )
        if child.status in FINAL_STATUSES and self.config.return_prefix:
            returned = self._returned_values(child)
            self.returned[child.index] = returned
            self.exporter.export({self._name(k, child): v for k, v in returned.items()})
        if child.outcome != Outcome.DETACHED:
            self.console.say(
                f"{self.who(child.index, child.label)} {child.build_id}: "
                f"{child.outcome} after {duration(seconds)}"
            )

    def _returned_values(self, child: Child) -> dict[str, str]:
        try:
            found = self._annotations(child)
        except Cancelled:  # a signal is not an unreadable answer: the step stops
            raise
        except CfstepError as exc:
            self.console.say(
                f"warning: could not read the child's annotations "
                f"({exc.message}); no values returned"
            )
            return {}
        returned, refused = results.returned_values(found, self.config.return_prefix)
        for key, reason in refused:
            self.console.say(
                f"warning: annotation {shown(key)} of {child.build_id} not returned: {reason}"
            )
        for name in returned:
            self.console.say(f"returned {name} from {child.build_id}")
        return returned

    def _annotations(self, child: Child) -> dict[str, str]:
        """The returned values are data later steps use: transient trouble is retried for a
        while, as while following."""
        return self.client.retrying(
            lambda t: self.client.annotations(child.build_id, timeout=t),
            ANNOTATIONS_BUDGET_SECONDS,
        )

    # -- the end --------------------------------------------------------------------------

    def close(self, worst: Child | None) -> None:
        """The run is over: children never started, the overall status, the JSON document,
        the summary table."""
        self._mark_not_started()
        if worst is None and self.skipped and len(self.skipped) == len(self.config.children):
            # Every child was decided not to run: none of their files changed.
            self.exporter.export({"BUILD_STATUS": Outcome.SKIPPED}, mask=False)
        if worst is not None and self.many:  # a single child's status is exported by ended()
            self.exporter.export(
                {
                    "BUILD_STATUS": worst.outcome or "",
                    "BUILD_DURATION_SECONDS": f"{self.clock() - self.started_at:.0f}",
                },
                mask=False,
            )
        if self.config.output_json is not None:
            outputs.write_json(self.config.output_json, self._document(), self.console)
        if self.many:
            self._summary()

    def _mark_not_started(self) -> None:
        for index, child in enumerate(self.slots, start=1):
            if child is None and index <= len(self.config.children):
                self.exporter.export(
                    {f"BUILD_STATUS_{index}": Outcome.SKIPPED} if self.many else {}, mask=False
                )

    def _document(self) -> dict[str, object]:
        return {
            "outputs": dict(self.exporter.values),
            "children": [
                {
                    "index": i,
                    "pipeline": c.label if c else self._pipeline(i),
                    "build_id": c.build_id if c else None,
                    "url": c.url if c else None,
                    "status": (c.outcome or c.status) if c else Outcome.SKIPPED,
                    "stopped_by_step": c.stopped_by_step if c else False,
                    "duration_seconds": results.whole(self.durations.get(i)),
                    "returned": {
                        k: self.console.mask(v) for k, v in self.returned.get(i, {}).items()
                    },
                }
                for i, c in enumerate(self.slots, start=1)
            ],
        }

    def _pipeline(self, index: int) -> str:
        children = self.config.children
        return children[index - 1].pipeline if index <= len(children) else ""

    def _summary(self) -> None:
        now = self.clock()
        rows = [("#", "pipeline", "build", "status", "duration", "url")]
        for i, c in enumerate(self.slots, start=1):
            if c is None:
                status = Outcome.SKIPPED if i in self.skipped else "not started"
                rows.append((str(i), self._pipeline(i), "-", status, "-", "-"))
            else:
                seconds = self.follower.reported_duration(c, now)
                rows.append(
                    (str(i), c.label, c.build_id, c.outcome or "?", duration(seconds), c.url)
                )
        for line in results.table(rows):
            self.console.say(line)
