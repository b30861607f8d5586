"""Whether the step runs at all: conditions and branch filters, shown one per line (README,
"Conditions")."""

from __future__ import annotations

from cfstep import conditions

TYPE_CHECKING = False  # not from typing: a run never imports typing (docs/performance.md)
if TYPE_CHECKING:
    from cfstep.console import Console
    from cfstep.model import Config


def should_run(config: Config, console: Console) -> bool:
    decision = conditions.decide(
        config.conditions_all,
        config.conditions_any,
        config.condition_variables,
        on_error=config.condition_error,
        branch_only=config.branch_only,
        branch_ignore=config.branch_ignore,
        branch=config.platform.branch,
    )
    for result in decision.results:
        verdict = "true" if result.holds else "false"
        if result.error is not None:
            verdict = f"false (could not be evaluated: {result.error}; CONDITION_ERROR=skip)"
        console.say(f"condition {result.group}.{result.name}: {result.text} → {verdict}")
    if not decision.run:
        console.say(f"skipped: {decision.reason}; nothing triggered")
    return decision.run
