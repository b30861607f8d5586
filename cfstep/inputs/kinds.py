"""How an input of the step is declared: how its text is read (`Kind`), the topics of
`--help` (each input names its own), and the `Option` record that `cfstep.inputs.options`'
table holds, one per input.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Kind(Enum):
    """How an option's text is read, and which argparse action its flag takes."""

    TEXT = "text"  # one line, stripped; empty is unset
    BOOL = "bool"  # true/false, yes/no, 1/0, on/off; the flag is a switch
    LIST = "list"  # a YAML list, else one item per line; the flag repeats
    PAIRS = "pairs"  # a LIST of KEY=VALUE
    NUMBER = "number"  # a decimal of at least `minimum`
    INTEGER = "integer"  # a whole number of at least `minimum`
    CHOICE = "choice"  # one of `choices`, any case
    CONDITIONS = "conditions"  # a map, list or one expression of the condition language

    @property
    def repeats(self) -> bool:
        """The flag may be given several times, each adding an item."""
        return self in (Kind.LIST, Kind.PAIRS, Kind.CONDITIONS)


# The topics of `--help`, in its order: each option names its own (adding an option is one
# entry, its group included).
RUN = "what to run"
CONDITIONS = "conditions"
CHANGED = "only what changed"
WAITING = "waiting for the child"
CHILDREN = "several children"
SPECS = "pipeline specs"
NETWORK = "Codefresh and the network"
OUTPUT = "output"
GROUPS = (RUN, CONDITIONS, CHANGED, WAITING, CHILDREN, SPECS, NETWORK, OUTPUT)


@dataclass(frozen=True)
class Option:
    """One input: its environment name, its flags, how its text is read, its default, the
    topic of `--help` it is listed under and the word its flag's value is shown as, and the
    `Config` or `ChildSpec` field its value fills (none: `cfstep.inputs.config` assembles
    it)."""

    env: str
    flags: tuple[str, ...]
    kind: Kind
    help: str
    group: str
    default: str | None = None
    metavar: str | None = None
    choices: tuple[str, ...] = ()
    minimum: float = 0
    positional: bool = False
    config: str | None = None
    child: str | None = None


def option(
    env: str,
    flags: str,
    kind: Kind,
    help: str,
    default: str | None = None,
    *,
    group: str,
    metavar: str | None = None,
    choices: tuple[str, ...] = (),
    minimum: float = 0,
    positional: bool = False,
    config: str | None = None,
    child: str | None = None,
) -> Option:
    return Option(
        env,
        tuple(flags.split()),
        kind,
        help,
        group,
        default,
        metavar,
        choices,
        minimum,
        positional,
        config,
        child,
    )
