"""Inputs: every option of the table (`cfstep.inputs.options`) read from the command line and the
environment, parsed and validated before the first request into one frozen `Config`.

A flag wins over the environment; empty text counts as unset (`cfstep.inputs.given`). How a
value's text is read lives in `cfstep.inputs.values` (and `cfstep.documents` for YAML/JSON); what
to run, the children and the specs applied before them, in `cfstep.inputs.children`. README,
"Inputs".
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from cfstep import documents
from cfstep.console import shown
from cfstep.errors import InputError
from cfstep.inputs import changed, children
from cfstep.inputs.given import Given
from cfstep.inputs.options import BY_ENV, OPTIONS
from cfstep.model import DEFAULT_URL, Config, Platform

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
    return _build_config(Given(from_flags, environ), environ)


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
    url = _url(given.text("CF_URL") or DEFAULT_URL)
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
    if build_id is not None and not _BUILD_ID.fullmatch(build_id):
        raise InputError(
            f"BUILD_ID: {shown(build_id)} is not a build id (letters, digits, - and _) "
            "— give the id at the end of the build's URL"
        )
    api_key = _api_key(given)
    ca_bundle = _ca_bundle(given.text("CA_BUNDLE"))
    straight = {o.config: given.value(o) for o in OPTIONS if o.config is not None}
    return Config(
        **straight,
        children=child_specs,
        conditions_all=conditions_all,
        conditions_any=conditions_any,
        timeout_seconds=timeout_minutes * 60,
        on_timeout=_on_timeout(given),
        api_key=api_key,
        url=url,
        ca_bundle=ca_bundle,
        platform=platform(environ),
        condition_variables=environ,
        notices=_drop_in_notices(given),
        follow_logs=children.follow_logs(given, child_specs, straight["detach"]),
        pipeline_specs=pipeline_specs,
        spec_only=spec_only,
        only_changed=changed.read(given, environ),
    )


def _api_key(given: Given) -> str | None:
    api_key = given.text("CF_API_KEY")
    if not api_key and not given.boolean("DRY_RUN"):
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
