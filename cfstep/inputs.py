"""Inputs (SPEC §2): one table of options, read from the environment and the command line.

Each option declares its environment name beside its flags; a flag wins over the
environment. Everything is parsed and validated here, before the first request, into one
frozen `Config`. Parsing of a value's text lives in `cfstep.values`.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from cfstep import values
from cfstep.errors import InputError

TYPE_CHECKING = False  # not from typing: a run never imports typing (issue 5)
if TYPE_CHECKING:
    from typing import Any

DEFAULT_URL = "https://g.codefresh.io"
PACK_NAMES = ("small", "medium", "large", "xlarge")


@dataclass(frozen=True)
class Option:
    """One input: its environment name, its flags, how its text is read, its default."""

    env: str
    flags: tuple[str, ...]
    kind: str  # text | bool | list | pairs | number | integer | choice | conditions
    help: str
    default: str | None = None
    choices: tuple[str, ...] = ()
    positional: bool = False


def _o(env: str, flags: str, kind: str, help: str, default: str | None = None, **kw: Any) -> Option:
    return Option(env, tuple(flags.split()), kind, help, default, **kw)


OPTIONS: tuple[Option, ...] = (
    _o(
        "PIPELINE_ID",
        "--pipeline",
        "text",
        "pipeline to run: project/pipeline name or id",
        positional=True,
    ),
    _o("TRIGGER_ID", "-t --trigger", "text", "trigger name or id"),
    _o("BRANCH", "-b --branch", "text", "branch to build"),
    _o("SHA", "-s --sha", "text", "commit to build"),
    _o("VARIABLE", "-v --variable", "pairs", "build variable KEY=VALUE (repeat)"),
    _o("SECRETS", "-S --secret", "pairs", "build variable sent encrypted, masked in output"),
    _o(
        "VARIABLE_FILE",
        "--variable-file",
        "text",
        "YAML/JSON file: a map of variables, or a list of maps (one build per item)",
    ),
    _o("CONTEXT", "-c --context", "list", "shared configuration context (repeat)"),
    _o("ANNOTATION", "-a --annotation", "pairs", "annotation key=value on the child (repeat)"),
    _o("NO_CACHE", "--no-cache", "bool", "ignore the Docker layer cache", "false"),
    _o("NO_CF_CACHE", "--no-cf-cache", "bool", "ignore Codefresh's cache optimisations", "false"),
    _o("RESET_VOLUME", "--reset-volume", "bool", "reset the pipeline's shared volume", "false"),
    _o(
        "ENABLE_NOTIFICATIONS",
        "--enable-notifications",
        "bool",
        "send build notifications",
        "false",
    ),
    _o("ONLY", "--only", "list", "run only these steps of the child (repeat)"),
    _o("SKIP", "--skip", "list", "skip these steps of the child (repeat)"),
    _o("RUNTIME_NAME", "--runtime-name", "text", "runtime environment of the child"),
    _o("PACK_NAME", "--pack-name", "choice", "machine size of the child", choices=PACK_NAMES),
    _o("YAML", "--yaml", "text", "codefresh.yml file that overrides the child's"),
    _o("CONDITION_ALL", "--when", "conditions", "condition that must hold (repeat)"),
    _o("CONDITION_ANY", "--when-any", "conditions", "at least one of these must hold (repeat)"),
    _o(
        "CONDITION_ERROR",
        "--condition-error",
        "choice",
        "an expression that cannot be evaluated: fail (exit 5) or skip",
        "fail",
        choices=("fail", "skip"),
    ),
    _o("BRANCH_ONLY", "--branch-only", "list", "run only for these CF_BRANCH names or /regex/"),
    _o(
        "BRANCH_IGNORE", "--branch-ignore", "list", "never run for these CF_BRANCH names or /regex/"
    ),
    _o("DETACH", "-d --detach", "bool", "trigger and exit without waiting", "false"),
    _o("TIMEOUT_MINS", "--timeout-mins", "number", "longest wait for the child, in minutes", "45"),
    _o(
        "ON_TIMEOUT",
        "--on-timeout",
        "choice",
        "at the timeout: fail, terminate the child, or detach",
        "fail",
        choices=("fail", "terminate", "detach"),
    ),
    _o(
        "TERMINATE_ON_TIMEOUT",
        "--terminate-on-timeout",
        "bool",
        "codefresh-run spelling of ON_TIMEOUT=terminate",
        "false",
    ),
    _o(
        "TERMINATE_ON_CANCEL",
        "--terminate-on-cancel",
        "bool",
        "terminate the child when this step is stopped",
        "true",
    ),
    _o(
        "ON_APPROVAL",
        "--on-approval",
        "choice",
        "a child paused for approval: wait, succeed or fail",
        "wait",
        choices=("wait", "succeed", "fail"),
    ),
    _o(
        "PROPAGATE_FAILURE",
        "--propagate-failure",
        "bool",
        "fail this step when the child fails",
        "true",
    ),
    _o("POLL_MAX_SECONDS", "--poll-max-seconds", "number", "ceiling of the poll interval", "15"),
    _o("LOG_TAIL", "--log-tail", "integer", "log lines of a failed child to show (0: none)", "50"),
    _o(
        "FOLLOW_LOGS",
        "--follow-logs",
        "bool",
        "print the child's step logs live (default: true with one child, false with several)",
    ),
    _o("BUILD_ID", "--build-id", "text", "follow this existing build instead of triggering"),
    _o("PIPELINES", "--pipelines", "text", "YAML/JSON list of children to run together"),
    _o("FAIL_FAST", "--fail-fast", "bool", "first failed child terminates the others", "true"),
    _o("MAX_PARALLEL", "--max-parallel", "integer", "children running at once", "10"),
    _o("FORWARD", "--forward", "list", "copy these variables of this build to the child"),
    _o(
        "RETURN_PREFIX",
        "--return-prefix",
        "text",
        "child annotations with this key prefix become outputs",
        "cfstep_out_",
    ),
    _o("DRY_RUN", "--dry-run", "bool", "decide and print the request; start nothing", "false"),
    _o("CF_API_KEY", "--api-key", "text", "Codefresh API key (injected in a pipeline)"),
    _o("CF_URL", "--url", "text", "Codefresh URL", DEFAULT_URL),
    _o("INSECURE", "--insecure", "bool", "skip TLS verification", "false"),
    _o(
        "EXPORT_FILE",
        "--export-file",
        "text",
        "file for KEY=VALUE outputs (default: /meta or $CF_VOLUME_PATH env_vars_to_export)",
    ),
    _o("OUTPUT_JSON", "--output-json", "text", "also write all outputs as one JSON document"),
    _o("DEBUG", "--debug", "bool", "print every API request and response status", "false"),
)

ENV_NAMES: tuple[str, ...] = tuple(o.env for o in OPTIONS)
_BY_ENV = {o.env: o for o in OPTIONS}


@dataclass(frozen=True)
class ChildSpec:
    """What to start for one child build: the run request's inputs."""

    pipeline: str
    trigger: str | None = None
    branch: str | None = None
    sha: str | None = None
    variables: tuple[tuple[str, str], ...] = ()
    secrets: tuple[tuple[str, str], ...] = ()
    contexts: tuple[str, ...] = ()
    annotations: tuple[tuple[str, str], ...] = ()
    only: tuple[str, ...] = ()
    skip: tuple[str, ...] = ()
    no_cache: bool = False
    no_cf_cache: bool = False
    reset_volume: bool = False
    enable_notifications: bool = False
    runtime_name: str | None = None
    pack_name: str | None = None
    yaml: str | None = None


@dataclass(frozen=True)
class Config:
    """Every input, parsed and validated."""

    children: tuple[ChildSpec, ...]
    build_id: str | None
    conditions_all: tuple[tuple[str, str], ...]
    conditions_any: tuple[tuple[str, str], ...]
    condition_error: str
    branch_only: tuple[str, ...]
    branch_ignore: tuple[str, ...]
    detach: bool
    timeout_seconds: float
    on_timeout: str
    terminate_on_cancel: bool
    on_approval: str
    propagate_failure: bool
    poll_max_seconds: float
    log_tail: int
    follow_logs: bool
    fail_fast: bool
    max_parallel: int
    return_prefix: str
    dry_run: bool
    api_key: str | None
    url: str
    insecure: bool
    export_file: str | None
    output_json: str | None
    debug: bool
    environ: Mapping[str, str] = field(repr=False)

    @property
    def secrets(self) -> tuple[str, ...]:
        """Every value that must never be printed."""
        found = [value for child in self.children for _, value in child.secrets]
        if self.api_key:
            found.append(self.api_key)
        return tuple(v for v in found if v)


def parse(argv: Sequence[str], environ: Mapping[str, str]) -> Config:
    """Read every input from argv and environ; raise InputError on the first bad one."""
    # A pipeline step runs with no arguments at all: argparse is then not even imported.
    if argv:
        from cfstep import flags

        given = flags.parse_flags(argv)
    else:
        given = {}
    raw = _Raw(given, environ)
    return _build_config(raw, environ)


class _Raw:
    """Typed access to one input: the flag's value if given, else the environment's text."""

    def __init__(self, given: dict[str, Any], environ: Mapping[str, str]) -> None:
        self.flags = given
        self.environ = environ
        positional = self.flags.pop("positional_pipeline", None)
        if positional is not None:
            if self.flags.get("PIPELINE_ID") not in (None, positional):
                raise InputError(
                    f"PIPELINE_ID: given twice ({positional!r} and --pipeline "
                    f"{self.flags['PIPELINE_ID']!r}) — give the pipeline once"
                )
            self.flags["PIPELINE_ID"] = positional

    def text(self, name: str) -> str | None:
        """The stripped text of a scalar input; empty counts as unset (the default)."""
        flag = self.flags.get(name)
        value = flag if flag is not None else self.environ.get(name)
        if value is None or not value.strip():
            return _BY_ENV[name].default
        return value.strip()

    def flag_or_env_given(self, name: str) -> bool:
        return self.flags.get(name) is not None or bool(self.environ.get(name, "").strip())

    def boolean(self, name: str) -> bool:
        flag = self.flags.get(name)
        if flag is not None:
            return bool(flag)
        return values.parse_bool(name, self.text(name) or "false")

    def items(self, name: str) -> tuple[str, ...]:
        flag = self.flags.get(name)
        if flag is not None:
            return tuple(flag)
        return values.parse_list(name, self.environ.get(name, ""))

    def pairs(self, name: str) -> tuple[tuple[str, str], ...]:
        return tuple(values.parse_pair(name, item) for item in self.items(name))

    def number(self, name: str, *, minimum: float) -> float:
        return values.parse_number(name, self.text(name) or "", minimum=minimum)

    def integer(self, name: str, *, minimum: int) -> int:
        return values.parse_integer(name, self.text(name) or "", minimum=minimum)

    def choice(self, name: str) -> str | None:
        text = self.text(name)
        option = _BY_ENV[name]
        if text is not None and text.lower() not in option.choices:
            raise InputError(
                f"{name}: {text!r} is not one of {', '.join(option.choices)} — "
                f"set {name} (or {option.flags[-1]}) to one of them"
            )
        return text.lower() if text is not None else None


def _build_config(raw: _Raw, environ: Mapping[str, str]) -> Config:
    url = _url(raw.text("CF_URL") or DEFAULT_URL)
    build_id = raw.text("BUILD_ID")
    children = _children(raw, environ, following_existing=build_id is not None)
    conditions_all, conditions_any = _conditions(raw)
    detach = raw.boolean("DETACH")
    timeout_minutes = raw.number("TIMEOUT_MINS", minimum=0)
    if timeout_minutes <= 0:
        raise InputError(
            f"TIMEOUT_MINS: {raw.text('TIMEOUT_MINS')!r} must be more than 0 — "
            "give the longest wait in minutes, e.g. 45 or 0.5; use DETACH=true not to wait"
        )
    dry_run = raw.boolean("DRY_RUN")
    api_key = raw.text("CF_API_KEY")
    if not api_key and not dry_run:
        raise InputError(
            "CF_API_KEY: not set — Codefresh injects it into every step; "
            "outside a pipeline pass --api-key or export CF_API_KEY"
        )
    if api_key and not (api_key.isascii() and api_key.isprintable()):
        # It goes into the Authorization header; http.client would fail with a traceback.
        raise InputError(
            "CF_API_KEY: holds a line break, a control or non-ASCII character (value hidden) "
            "— copy the key again without extra characters"
        )
    return Config(
        children=children,
        build_id=build_id,
        conditions_all=conditions_all,
        conditions_any=conditions_any,
        condition_error=raw.choice("CONDITION_ERROR") or "fail",
        branch_only=raw.items("BRANCH_ONLY"),
        branch_ignore=raw.items("BRANCH_IGNORE"),
        detach=detach,
        timeout_seconds=timeout_minutes * 60,
        on_timeout=_on_timeout(raw),
        terminate_on_cancel=raw.boolean("TERMINATE_ON_CANCEL"),
        on_approval=raw.choice("ON_APPROVAL") or "wait",
        propagate_failure=raw.boolean("PROPAGATE_FAILURE"),
        poll_max_seconds=raw.number("POLL_MAX_SECONDS", minimum=1),
        log_tail=raw.integer("LOG_TAIL", minimum=0),
        follow_logs=_follow_logs(raw, children, detach),
        fail_fast=raw.boolean("FAIL_FAST"),
        max_parallel=raw.integer("MAX_PARALLEL", minimum=1),
        return_prefix=raw.text("RETURN_PREFIX") or "",
        dry_run=dry_run,
        api_key=api_key,
        url=url,
        insecure=raw.boolean("INSECURE"),
        export_file=_path(raw.text("EXPORT_FILE")),
        output_json=_path(raw.text("OUTPUT_JSON")),
        debug=raw.boolean("DEBUG"),
        environ=environ,
    )


# scheme://host[:port][/path]: checked with `re` (loaded already) rather than urllib.parse,
# which the skip path would import for this alone; no user:password@ in a URL the key goes to.
_HTTP_URL = re.compile(
    r"(?i)https?://(?:\[[0-9a-f:.]+\]|[^\s/?#@:\[\]]+)(?::(?P<port>\d{1,5}))?(?:[/?#]\S*)?"
)


def _url(text: str) -> str:
    url = text.rstrip("/")
    match = _HTTP_URL.fullmatch(url)
    if match is None or int(match["port"] or 1) not in range(1, 65536):
        shown = re.sub(r"//[^/]*@", "//***@", text)  # never echo user:password
        raise InputError(
            f"CF_URL: {shown!r} is not an http(s) URL — give the Codefresh address, "
            f"e.g. {DEFAULT_URL}"
        )
    return url


def _path(text: str | None) -> str | None:
    return text or None


def _follow_logs(raw: _Raw, children: tuple[ChildSpec, ...], detach: bool) -> bool:
    """On by default for one child; with several, their logs together would be a lot of
    lines, so only when asked. DETACH waits for nothing, so it follows nothing."""
    wanted = raw.boolean("FOLLOW_LOGS") if raw.flag_or_env_given("FOLLOW_LOGS") else None
    if wanted is None:
        wanted = len(children) <= 1
    return wanted and not detach


def _on_timeout(raw: _Raw) -> str:
    on_timeout = raw.choice("ON_TIMEOUT") or "fail"
    if raw.boolean("TERMINATE_ON_TIMEOUT"):
        if raw.flag_or_env_given("ON_TIMEOUT") and on_timeout != "terminate":
            raise InputError(
                f"TERMINATE_ON_TIMEOUT: true contradicts ON_TIMEOUT={on_timeout} — "
                "set only one of them"
            )
        return "terminate"
    return on_timeout


def _conditions(raw: _Raw) -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]:
    groups: list[tuple[tuple[str, str], ...]] = []
    for name in ("CONDITION_ALL", "CONDITION_ANY"):
        flag = raw.flags.get(name)
        text = raw.environ.get(name, "")
        if flag is None and not text.strip():
            groups.append(())
            continue
        from cfstep import conditions  # only a step with conditions pays for simpleeval

        if flag is not None:
            found = tuple((f"when_{i}", expr) for i, expr in enumerate(flag, start=1))
        else:
            found = tuple(conditions.parse_conditions(text, name))
        groups.append(found)
    return groups[0], groups[1]


def _children(
    raw: _Raw, environ: Mapping[str, str], *, following_existing: bool
) -> tuple[ChildSpec, ...]:
    pipeline = raw.text("PIPELINE_ID")
    pipelines_text = raw.text("PIPELINES")
    if following_existing:
        if pipeline or pipelines_text:
            raise InputError(
                "BUILD_ID: given together with PIPELINE_ID or PIPELINES — "
                "give BUILD_ID to follow an existing build, or a pipeline to start one"
            )
        return ()
    defaults = _default_child(raw, environ, pipeline or "")
    if pipelines_text:
        if pipeline:
            raise InputError(
                "PIPELINES: given together with PIPELINE_ID — list every child in PIPELINES, "
                "or give one PIPELINE_ID"
            )
        from cfstep import fanout

        file_items = _variable_file(raw.text("VARIABLE_FILE"))
        if file_items is not None and len(file_items) > 1:
            raise InputError(
                "VARIABLE_FILE: a list of maps starts one build of PIPELINE_ID per item, "
                "which PIPELINES cannot be combined with — give the variables in each "
                "PIPELINES item, or a VARIABLE_FILE that is one map"
            )
        if file_items:  # one map: every child's default variables, VARIABLE winning
            defaults = values.with_variables(defaults, tuple(file_items[0].items()), first=True)
        return fanout.parse_pipelines(pipelines_text, defaults)
    if not pipeline:
        raise InputError(
            "PIPELINE_ID: not set — give the pipeline to run (project/pipeline or id) as "
            "PIPELINE_ID or `cfstep --pipeline NAME`, or BUILD_ID to follow an existing build"
        )
    file_items = _variable_file(raw.text("VARIABLE_FILE"))
    if file_items is None:
        return (defaults,)
    return tuple(
        values.with_variables(defaults, tuple(item.items()), first=True) for item in file_items
    )


def _default_child(raw: _Raw, environ: Mapping[str, str], pipeline: str) -> ChildSpec:
    variables = _forwarded(raw, environ) + raw.pairs("VARIABLE")
    yaml_path = raw.text("YAML")
    return ChildSpec(
        pipeline=pipeline,
        trigger=raw.text("TRIGGER_ID"),
        branch=raw.text("BRANCH"),
        sha=raw.text("SHA"),
        variables=values.last_wins(variables),
        secrets=values.last_wins(raw.pairs("SECRETS")),
        contexts=raw.items("CONTEXT"),
        annotations=values.last_wins(raw.pairs("ANNOTATION")),
        only=raw.items("ONLY"),
        skip=raw.items("SKIP"),
        no_cache=raw.boolean("NO_CACHE"),
        no_cf_cache=raw.boolean("NO_CF_CACHE"),
        reset_volume=raw.boolean("RESET_VOLUME"),
        enable_notifications=raw.boolean("ENABLE_NOTIFICATIONS"),
        runtime_name=raw.text("RUNTIME_NAME"),
        pack_name=raw.choice("PACK_NAME"),
        yaml=values.read_text_file("YAML", yaml_path) if yaml_path else None,
    )


def _forwarded(raw: _Raw, environ: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    forwarded = []
    for name in raw.items("FORWARD"):
        if name not in environ:
            print(
                f"cfstep: FORWARD: {name} is not set in this build; not forwarded", file=sys.stderr
            )
            continue
        forwarded.append((name, environ[name]))
    return tuple(forwarded)


def _variable_file(path_text: str | None) -> list[dict[str, str]] | None:
    """None when no file; a list of variable maps: one build per map."""
    if not path_text:
        return None
    data = values.read_structured_file("VARIABLE_FILE", path_text)
    if isinstance(data, dict):
        return [values.variable_map("VARIABLE_FILE", data)]
    if isinstance(data, list) and data:
        return [
            values.variable_map(f"VARIABLE_FILE item {i}", item)
            for i, item in enumerate(data, start=1)
        ]
    raise InputError(
        f"VARIABLE_FILE: {path_text} holds {type(data).__name__}, not a map of variables or "
        "a non-empty list of maps — write KEY: value lines, or a list of such maps"
    )
