"""Inputs: every option of the table (`cfstep.inputs.options`) read from the command line and the
environment, parsed and validated before the first request into one frozen `Config`.

A flag wins over the environment; empty text counts as unset (`cfstep.inputs.given`). How a
value's text is read lives in `cfstep.inputs.values` (and `cfstep.documents` for YAML/JSON); what
to run, the children and the specs applied before them, in `cfstep.inputs.children`. README,
"Inputs".
"""

from __future__ import annotations

import dataclasses

from cfstep import documents
from cfstep.codefresh.ids import identifier
from cfstep.console import shown
from cfstep.errors import InputError
from cfstep.inputs import access, children, only_changed, spelling
from cfstep.inputs.given import Given
from cfstep.inputs.options import BY_ENV, ENV_NAMES, OPTIONS
from cfstep.model import DEFAULT_URL, Config, Platform

TYPE_CHECKING = False  # not from typing: a run never imports typing (docs/performance.md)
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

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
        from cfstep.inputs import flags

        from_flags = flags.parse_flags(argv)
    else:
        from_flags = {}
    given = Given(from_flags, environ)
    misses = spelling.near_misses(
        environ, [name for name in ENV_NAMES if not given.flag_or_env_given(name)]
    )
    try:
        config = _build_config(given, environ)
    except InputError as exc:
        # A misspelt name is often why an input is missing: say so on the same line.
        hints = [
            f"{name} is set: did you mean {known}?"
            for name, known in misses
            if exc.message.startswith(f"{known}:")
        ]
        if hints:
            raise InputError(f"{exc.message} ({' '.join(hints)})") from exc
        raise
    warnings = (
        *given.warnings,
        *(
            f"warning: {name} is not an input of cfstep and is ignored — did you mean {known}?"
            for name, known in misses
        ),
    )
    return dataclasses.replace(config, notices=config.notices + warnings)


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


def _build_config(given: Given, environ: Mapping[str, str]) -> Config:
    url, url_notices = access.url(given.text("CF_URL") or DEFAULT_URL)
    build_id = given.text("BUILD_ID")
    pipeline_specs, spec_only = children.pipeline_specs(given, build_id)
    child_specs = (
        ()
        if spec_only
        else children.read(
            given,
            environ,
            following_existing=build_id is not None,
            default_pipeline=children.spec_pipeline(pipeline_specs),
        )
    )
    conditions_all = given.conditions("CONDITION_ALL")
    conditions_any = given.conditions("CONDITION_ANY")
    timeout_minutes = given.value(BY_ENV["TIMEOUT_MINS"])
    if timeout_minutes <= 0:
        raise InputError(
            f"TIMEOUT_MINS: {given.text('TIMEOUT_MINS')!r} must be more than 0 — "
            "give the longest wait in minutes, e.g. 45 or 0.5; use DETACH=true not to wait"
        )
    if build_id is not None and identifier(build_id) is None:
        raise InputError(
            f"BUILD_ID: {shown(build_id)} is not a build id (letters, digits, - and _) "
            "— give the id at the end of the build's URL"
        )
    api_key, key_notices = access.api_key(
        given.text("CF_API_KEY"), dry_run=given.boolean("DRY_RUN")
    )
    ca_bundle = _ca_bundle(given.text("CA_BUNDLE"))
    straight = {o.config: given.value(o) for o in OPTIONS if o.config is not None}
    return Config(
        **straight,
        children=child_specs,
        conditions_all=conditions_all,
        conditions_any=conditions_any,
        timeout_seconds=timeout_minutes * 60,
        on_timeout=_on_timeout(given),
        on_timeout_option=(
            "TERMINATE_ON_TIMEOUT" if given.boolean("TERMINATE_ON_TIMEOUT") else "ON_TIMEOUT"
        ),
        api_key=api_key,
        url=url,
        ca_bundle=ca_bundle,
        platform=platform(environ),
        condition_variables=environ,
        notices=(*url_notices, *key_notices, *_drop_in_notices(given)),
        follow_logs=children.follow_logs(given, child_specs, straight["detach"]),
        pipeline_specs=pipeline_specs,
        spec_only=spec_only,
        only_changed=only_changed.read(given, environ),
    )


def _ca_bundle(path: str | None) -> str | None:
    """Checked now, so an unreadable bundle is an input error before any request."""
    if path is not None:
        documents.check_ca_bundle("CA_BUNDLE", path)
    return path


def _on_timeout(given: Given) -> str:
    on_timeout: str = given.value(BY_ENV["ON_TIMEOUT"])
    if given.boolean("TERMINATE_ON_TIMEOUT"):
        if given.flag_or_env_given("ON_TIMEOUT") and on_timeout != "terminate":
            raise InputError(
                f"TERMINATE_ON_TIMEOUT: true contradicts ON_TIMEOUT={on_timeout} — "
                "set only one of them"
            )
        return "terminate"
    return on_timeout


def _drop_in_notices(given: Given) -> tuple[str, ...]:
    """codefresh-run arguments cfstep accepts so that a codefresh-run step validates after
    only its `type:` changes (docs/migrating.md); each one given is named once."""
    notices = []
    if given.flag_or_env_given("IMAGE_TAG"):
        notices.append(
            "IMAGE_TAG is ignored: it chose codefresh-run's CLI image, and cfstep runs its own"
        )
    return tuple(notices)
