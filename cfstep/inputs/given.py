"""What was given for each input: the flag if there is one, else the environment's text,
read as the option table says (`cfstep.inputs.options`). Empty text counts as unset, so the
option's default applies. `cfstep.inputs.config` and `cfstep.inputs.children` read every
input through one `Given`.
"""

from __future__ import annotations

from cfstep.errors import InputError
from cfstep.inputs import values
from cfstep.inputs.kinds import Kind
from cfstep.inputs.options import BY_ENV

TYPE_CHECKING = False  # not from typing: a run never imports typing (docs/performance.md)
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from cfstep.inputs.kinds import Option


_VARIABLE_LISTS = frozenset({"VARIABLE", "SECRETS"})


class Given:
    """Typed access to every input: the flag's value if given, else the environment's text.
    `from_flags` is what `cfstep.inputs.flags` parsed (empty when there is no command line)."""

    def __init__(self, from_flags: dict[str, Any], environ: Mapping[str, str]) -> None:
        self.flags = from_flags
        self.environ = environ
        # Lines for the user about what was given, printed before anything starts.
        self.warnings: list[str] = []
        positional = self.flags.pop("positional_pipeline", None)
        if positional is not None:
            if self.flags.get("PIPELINE_ID") not in (None, positional):
                raise InputError(
                    f"PIPELINE_ID: given twice ({positional!r} and --pipeline "
                    f"{self.flags['PIPELINE_ID']!r}) — give the pipeline once"
                )
            self.flags["PIPELINE_ID"] = positional

    def value(self, option: Option) -> Any:  # noqa: PLR0911 - one return per kind
        """The option's value, read as its kind says; its default when unset."""
        name = option.env
        match option.kind:
            case Kind.BOOL:
                return self.boolean(name)
            case Kind.LIST:
                return self.items(name)
            case Kind.PAIRS:
                return self.pairs(name)
            case Kind.NUMBER:
                return values.parse_number(name, self.text(name) or "", minimum=option.minimum)
            case Kind.INTEGER:
                minimum = int(option.minimum)
                return values.parse_integer(name, self.text(name) or "", minimum=minimum)
            case Kind.CHOICE:
                return self.choice(name)
            case Kind.CONDITIONS:
                return self.conditions(name)
            case Kind.TEXT:
                return self.text(name)

    def text(self, name: str) -> str | None:
        """The stripped text of a scalar input; empty counts as unset (the default). Leading
        and trailing whitespace, a final line break included, is never part of a value."""
        flag = self.flags.get(name)
        value = flag if flag is not None else self.environ.get(name)
        if value is None or not value.strip():
            return BY_ENV[name].default
        return values.utf8_text(name, value.strip())

    def flag_or_env_given(self, name: str) -> bool:
        return self.flags.get(name) is not None or bool(self.environ.get(name, "").strip())

    def boolean(self, name: str) -> bool:
        flag = self.flags.get(name)
        if flag is not None:
            return bool(flag)
        return values.parse_bool(name, self.text(name) or "")

    def items(self, name: str) -> tuple[str, ...]:
        flag = self.flags.get(name)
        if flag is not None:
            return tuple(values.utf8_text(name, item) for item in flag)
        return values.parse_list(name, values.utf8_text(name, self.environ.get(name, "")))

    def pairs(self, name: str) -> tuple[tuple[str, str], ...]:
        variable = name in _VARIABLE_LISTS
        return tuple(values.parse_pair(name, item, variable=variable) for item in self.items(name))

    def choice(self, name: str) -> str | None:
        text = self.text(name)
        option = BY_ENV[name]
        if text is not None and text.lower() not in option.choices:
            raise InputError(
                f"{name}: {text!r} is not one of {', '.join(option.choices)} — "
                f"set {name} (or {option.flags[-1]}) to one of them"
            )
        return text.lower() if text is not None else None

    def conditions(self, name: str) -> tuple[tuple[str, str], ...]:
        """CONDITION_ALL / CONDITION_ANY: named expressions."""
        flag = self.flags.get(name)
        if flag is not None:
            return tuple((f"when_{i}", expr) for i, expr in enumerate(flag, start=1))
        text = self.environ.get(name, "")
        if not text.strip():
            return ()
        from cfstep import conditions  # only a step with conditions pays for simpleeval

        return tuple(conditions.parse_conditions(text, name))
