"""Inputs: every option of the table (`cfstep.options`) read from the command line and the
environment, parsed and validated before the first request into one frozen `Config`.

A flag wins over the environment; empty text counts as unset. How a value's text is read
lives in `cfstep.values` (and `cfstep.documents` for YAML/JSON); PIPELINES in
`cfstep.fanout`. README, "Inputs".
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping, Sequence

from cfstep import documents, fanout, values
from cfstep.errors import InputError
from cfstep.model import DEFAULT_URL, ChildSpec, Config, PipelineSpec, Platform
from cfstep.options import BY_ENV, OPTIONS, Kind, Option

TYPE_CHECKING = False  # not from typing: a run never imports typing (docs/performance.md)
if TYPE_CHECKING:
    from typing import Any

# What the build running the step hands to the HTTP session: proxies (in either case) and
# the CA bundles requests reads (README, "Proxies and certificates").
_NETWORK_NAMES = (
    *("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY"),
    *("https_proxy", "http_proxy", "all_proxy", "no_proxy"),
    *("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"),
)


def parse(argv: Sequence[str], environ: Mapping[str, str]) -> Config:
    """Read every input from argv and environ; raise InputError on the first bad one."""
    if argv:
        # A pipeline step runs with no arguments at all: argparse is then not even imported.
        from cfstep import flags

        given = flags.parse_flags(argv)
    else:
        given = {}
    raw = _Raw(given, environ)
    return _build_config(raw, environ)


def platform(environ: Mapping[str, str]) -> Platform:
    """What the Codefresh build tells the step through its environment."""

    def stripped(name: str) -> str | None:
        return environ.get(name, "").strip() or None

    return Platform(
        parent_build_id=stripped("CF_BUILD_ID"),
        step_name=stripped("CF_STEP_NAME"),
        typed_step=stripped("CFSTEP_TYPED_STEP"),
        branch=environ.get("CF_BRANCH", ""),
        volume_path=stripped("CF_VOLUME_PATH"),
        network={name: environ[name] for name in _NETWORK_NAMES if name in environ},
    )


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
        return tuple(values.parse_pair(name, item) for item in self.items(name))

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


def _build_config(raw: _Raw, environ: Mapping[str, str]) -> Config:
    url = _url(raw.text("CF_URL") or DEFAULT_URL)
    build_id = raw.text("BUILD_ID")
    pipeline_specs, spec_only = _pipeline_specs(raw, build_id)
    children = (
        ()
        if spec_only
        else _children(
            raw,
            environ,
            following_existing=build_id is not None,
            default_pipeline=_spec_pipeline(pipeline_specs),
        )
    )
    conditions_all = raw.conditions("CONDITION_ALL")
    conditions_any = raw.conditions("CONDITION_ANY")
    timeout_minutes = raw.value(BY_ENV["TIMEOUT_MINS"])
    if timeout_minutes <= 0:
        raise InputError(
            f"TIMEOUT_MINS: {raw.text('TIMEOUT_MINS')!r} must be more than 0 — "
            "give the longest wait in minutes, e.g. 45 or 0.5; use DETACH=true not to wait"
        )
    if build_id is not None and not _BUILD_ID.fullmatch(build_id):
        raise InputError(
            f"BUILD_ID: {values.shown(build_id)} is not a build id (letters, digits, - and _) "
            "— give the id at the end of the build's URL"
        )
    api_key = _api_key(raw)
    ca_bundle = _ca_bundle(raw.text("CA_BUNDLE"))
    straight = {o.config: raw.value(o) for o in OPTIONS if o.config is not None}
    return Config(
        **straight,
        children=children,
        conditions_all=conditions_all,
        conditions_any=conditions_any,
        timeout_seconds=timeout_minutes * 60,
        on_timeout=_on_timeout(raw),
        api_key=api_key,
        url=url,
        ca_bundle=ca_bundle,
        platform=platform(environ),
        condition_variables=environ,
        notices=_drop_in_notices(raw),
        follow_logs=_follow_logs(raw, children, straight["detach"]),
        pipeline_specs=pipeline_specs,
        spec_only=spec_only,
    )


def _api_key(raw: _Raw) -> str | None:
    api_key = raw.text("CF_API_KEY")
    if not api_key and not raw.boolean("DRY_RUN"):
        raise InputError(
            "CF_API_KEY: not set — Codefresh injects it into every step; "
            "outside a pipeline pass --api-key or export CF_API_KEY"
        )
    if api_key and not (api_key.isascii() and api_key.isprintable()):
        # It goes into an HTTP header, where the HTTP client would fail with a traceback.
        raise InputError(
            "CF_API_KEY: holds a line break, a control or non-ASCII character (value hidden) "
            "— copy the key again without extra characters"
        )
    return api_key


# scheme://host[:port][/path]: checked with `re` (loaded already) rather than urllib.parse,
# which the skip path would import for this alone; no user:password@ in a URL the key goes to.
_HTTP_URL = re.compile(
    r"(?i)https?://(?:\[[0-9a-f:.]+\]|(?P<host>[^\s/?#@:\[\]]+))(?::(?P<port>\d{1,5}))?"
    r"(?:[/?#]\S*)?"
)
# What the API client accepts as a build id in the run answer; it goes into URLs and outputs.
_BUILD_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")


def _url(text: str) -> str:
    url = text.rstrip("/")
    match = _HTTP_URL.fullmatch(url)
    shown = re.sub(r"//[^/]*@", "//***@", text)  # never echo user:password
    if match is None or int(match["port"] or 1) not in range(1, 65536):
        raise InputError(
            f"CF_URL: {shown!r} is not an http(s) URL — give the Codefresh address, "
            f"e.g. {DEFAULT_URL}"
        )
    if not url.isascii() or not url.isprintable():
        raise InputError(
            f"CF_URL: {shown!r} holds a non-ASCII or control character — percent-encode it, "
            "and write an international host name in its xn-- form"
        )
    labels = (match["host"] or "").rstrip(".").split(".")
    if match["host"] and not all(1 <= len(label) <= 63 for label in labels):
        raise InputError(
            f"CF_URL: {shown!r} has an invalid host name (each dot-separated part must be 1 "
            "to 63 characters) — check the address"
        )
    return url


def _follow_logs(raw: _Raw, children: tuple[ChildSpec, ...], detach: bool) -> bool:
    """On by default for one child; with several, their logs together would be a lot of
    lines, so only when asked. DETACH waits for nothing, so it follows nothing."""
    wanted = raw.boolean("FOLLOW_LOGS") if raw.flag_or_env_given("FOLLOW_LOGS") else None
    if wanted is None:
        wanted = len(children) <= 1
    return wanted and not detach


def _ca_bundle(path: str | None) -> str | None:
    """Checked now, so an unreadable bundle is an input error before any request."""
    if path is not None:
        values.check_ca_bundle("CA_BUNDLE", path)
    return path


def _on_timeout(raw: _Raw) -> str:
    on_timeout: str = raw.value(BY_ENV["ON_TIMEOUT"])
    if raw.boolean("TERMINATE_ON_TIMEOUT"):
        if raw.flag_or_env_given("ON_TIMEOUT") and on_timeout != "terminate":
            raise InputError(
                f"TERMINATE_ON_TIMEOUT: true contradicts ON_TIMEOUT={on_timeout} — "
                "set only one of them"
            )
        return "terminate"
    return on_timeout


def _drop_in_notices(raw: _Raw) -> tuple[str, ...]:
    """codefresh-run arguments cfstep accepts so that a codefresh-run step validates after
    only its `type:` changes (docs/migrating.md); each one given is named once."""
    notices = []
    if raw.flag_or_env_given("IMAGE_TAG"):
        notices.append(
            "IMAGE_TAG is ignored: it chose codefresh-run's CLI image, and cfstep runs its own"
        )
    return tuple(notices)


def _pipeline_specs(raw: _Raw, build_id: str | None) -> tuple[tuple[PipelineSpec, ...], bool]:
    """Every spec read and checked now, before the first request; and SPEC_ONLY."""
    spec_only = raw.boolean("SPEC_ONLY")
    flag = raw.flags.get("PIPELINE_SPEC")
    text = raw.environ.get("PIPELINE_SPEC", "")
    if flag is None and not text.strip():
        if spec_only:
            raise InputError(
                "SPEC_ONLY: true without PIPELINE_SPEC — give the spec files to apply "
                "(--pipeline-spec PATH), or drop SPEC_ONLY to trigger a pipeline"
            )
        return (), False
    from cfstep import specs  # only a step with specs pays for yaml and glob

    found = specs.read_specs(flag, text)
    if not found:
        raise InputError("PIPELINE_SPEC: names no file — give spec paths or globs")
    if spec_only and (build_id or raw.text("PIPELINE_ID") or raw.text("PIPELINES")):
        raise InputError(
            "SPEC_ONLY: true together with a pipeline or build to trigger or follow — "
            "drop SPEC_ONLY to trigger after applying, or drop PIPELINE_ID/PIPELINES/BUILD_ID"
        )
    return found, spec_only


def _spec_pipeline(pipeline_specs: tuple[PipelineSpec, ...]) -> str | None:
    """What PIPELINE_ID defaults to: the pipeline of the one spec, if there is one."""
    return pipeline_specs[0].name if len(pipeline_specs) == 1 else None


def _children(
    raw: _Raw,
    environ: Mapping[str, str],
    *,
    following_existing: bool,
    default_pipeline: str | None = None,
) -> tuple[ChildSpec, ...]:
    pipeline = raw.text("PIPELINE_ID")
    pipelines_text = raw.text("PIPELINES")
    if not pipelines_text and not following_existing:
        pipeline = pipeline or default_pipeline
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
            + (
                "; with several PIPELINE_SPEC files, or SPEC_ONLY=true"
                if raw.flag_or_env_given("PIPELINE_SPEC")
                else ""
            )
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
    straight = {o.child: raw.value(o) for o in OPTIONS if o.child is not None}
    return ChildSpec(
        pipeline=pipeline,
        **straight,
        variables=values.last_wins(variables),
        secrets=values.last_wins(raw.pairs("SECRETS")),
        annotations=values.last_wins(raw.pairs("ANNOTATION")),
        yaml=documents.read_text_file("YAML", yaml_path) if yaml_path else None,
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
    data = documents.read_yaml_file("VARIABLE_FILE", path_text)
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
