"""The entrypoint: the one place that turns an exception into a message and an exit code."""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import time

from cfstep import masking, outputs
from cfstep.cancel import CancelGuard
from cfstep.console import Console, wants_colour
from cfstep.errors import CfstepError
from cfstep.inputs import access
from cfstep.inputs import config as inputs
from cfstep.model import ExitCode, Outcome
from cfstep.timing import jitter

TYPE_CHECKING = False  # not from typing: a run never imports typing (docs/performance.md)
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from cfstep.changes.decide import Decider
    from cfstep.codefresh.client import CodefreshClient
    from cfstep.model import Config
    from cfstep.timing import Clock, Jitter, Sleep


def main(
    argv: Sequence[str] | None = None,
    environ: Mapping[str, str] | None = None,
    *,
    clock: Clock = time.monotonic,
    sleep: Sleep = time.sleep,
    jitter_factor: Jitter | None = None,
    meta_export: str | os.PathLike[str] = outputs.META_EXPORT,
) -> int:
    """Run the step once; return its exit code (README, "Exit codes")."""
    argv = sys.argv[1:] if argv is None else argv
    environ = os.environ if environ is None else environ
    console = Console(colour=wants_colour(environ, sys.stderr))
    # Before parsing: an error about a malformed input must not print the key or a secret.
    for key in _key_candidates(argv, environ):
        console.add_secrets([key], standalone=len(key) < access.CODEFRESH_KEY_LENGTH)
    console.add_secrets(_secret_candidates(argv, environ))
    guard = CancelGuard().install()
    try:
        return _run(
            argv,
            environ=environ,
            console=console,
            guard=guard,
            clock=clock,
            sleep=sleep,
            jitter_factor=jitter_factor or jitter(),
            meta_export=meta_export,
        )
    except CfstepError as exc:
        console.closing_line(f"cfstep: {exc.message}")
        return exc.exit_code
    except SystemExit as exc:  # --help and --version: argparse has printed them
        return exc.code if isinstance(exc.code, int) else 0
    except Exception:
        import traceback  # only for a bug: not paid on every start

        console.say(traceback.format_exc(limit=8).rstrip("\n"))
        console.closing_line(
            "cfstep: internal error (a bug in cfstep, not in your build) — please report it "
            "with the traceback above"
        )
        return ExitCode.INTERNAL_ERROR
    finally:
        guard.restore()


def _run(
    argv: Sequence[str],
    *,
    environ: Mapping[str, str],
    console: Console,
    guard: CancelGuard,
    clock: Clock,
    sleep: Sleep,
    jitter_factor: Jitter,
    meta_export: str | os.PathLike[str],
) -> int:
    config = inputs.parse(argv, environ)
    console.add_secrets(config.secrets)
    for notice in config.notices:
        console.say(notice)
    exporter = outputs.Exporter(
        outputs.locate(config.export_file, config.platform.volume_path, os.fspath(meta_export)),
        console,
    )
    if config.output_json is not None:
        outputs.check_json_path(config.output_json)
    if config.conditions_all or config.conditions_any or config.branch_only or config.branch_ignore:
        from cfstep.run import gate  # only with conditions: simpleeval is not paid otherwise

        if not gate.should_run(config, console):
            exporter.export({"BUILD_STATUS": Outcome.SKIPPED}, mask=False)
            _write_json_without_children(config, exporter, console)
            return ExitCode.OK
    client = _OneClient(config, console, clock=clock, sleep=sleep, jitter=jitter_factor)
    try:
        changes = _only_changed(config, client)
        return _send(config, console, exporter, client, guard, changes=changes)
    finally:
        client.close()


def _only_changed(config: Config, client: _OneClient) -> Decider | None:
    """MODIFIED_FILES_GLOB's decision, checked now, before anything is sent (a glob that
    cannot be matched, an unknown CHANGED_SINCE revision: exit 5); None without one."""
    if not any(child.modified_files_glob for child in config.children):
        return None
    # Only a step with MODIFIED_FILES_GLOB loads the glob library and starts git.
    from cfstep.changes.decide import Decider
    from cfstep.changes.history import ApiHistory, NoHistory  # with the Decider: the same path

    history = (
        ApiHistory(client, client.clock)
        if config.api_key
        else NoHistory("a DRY_RUN without CF_API_KEY cannot read the child pipeline")
    )
    decider = Decider(config.children, config.only_changed, history)
    decider.check()
    return decider


def _decide(
    changes: Decider | None, config: Config, console: Console, exporter: outputs.Exporter
) -> dict[int, str]:
    """The children not to trigger, by place, each with why; each decision said in one
    line (docs/monorepos.md)."""
    if changes is None:
        return {}
    from cfstep.changes.decide import skipped, tell  # loaded with the Decider already

    decisions = changes.decide()
    tell(decisions, console, exporter, many=changes.many, debug=config.debug)
    return skipped(decisions)


def _write_json_without_children(
    config: Config, exporter: outputs.Exporter, console: Console
) -> None:
    """--output-json of a run that started no child (skipped, or SPEC_ONLY)."""
    if config.output_json is not None:
        document = {"outputs": exporter.values, "children": []}
        outputs.write_json(config.output_json, document, console)


class _OneClient:
    """The run's one API client (one session, docs/safety.md), made when first needed:
    PIPELINE_SPEC and the trigger share it; a skip or a dry run never makes it."""

    def __init__(
        self, config: Config, console: Console, *, clock: Clock, sleep: Sleep, jitter: Jitter
    ) -> None:
        self._config, self._console = config, console
        self.clock, self.sleep, self.jitter = clock, sleep, jitter
        self._client: CodefreshClient | None = None

    def __call__(self) -> CodefreshClient:
        if self._client is None:
            # The HTTP stack: only when something is sent.
            from cfstep.codefresh.client import client_for

            self._client = client_for(
                self._config, self._console, clock=self.clock, sleep=self.sleep, jitter=self.jitter
            )
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.session.close()


def _send(
    config: Config,
    console: Console,
    exporter: outputs.Exporter,
    client: _OneClient,
    guard: CancelGuard,
    *,
    changes: Decider | None = None,
) -> int:
    """Apply the specs, decide which children run, then trigger them (or, with DRY_RUN, show
    what would be sent)."""
    if config.pipeline_specs:
        from cfstep.specs import apply  # only a step with PIPELINE_SPEC pays for it

        apply.apply_specs(config, console, exporter, client)
        if config.spec_only:
            if not config.dry_run:
                _write_json_without_children(config, exporter, console)
            return ExitCode.OK
    skipped = _decide(changes, config, console, exporter)
    if config.dry_run:
        # The dry run only: it loads the HTTP stack's quoting.
        from cfstep.codefresh import run_request

        running = tuple(c for i, c in enumerate(config.children, 1) if i not in skipped)
        for document in run_request.dry_run(dataclasses.replace(config, children=running)):
            console.data(json.dumps(document, indent=2))
        sent = "started or written" if config.pipeline_specs else "sent"
        console.say(f"dry run: nothing was {sent}")
        return ExitCode.OK
    from cfstep.run import compose  # the trigger path only: the skip path stays this light

    runtime = compose.Runtime(
        clock=client.clock, sleep=client.sleep, jitter=client.jitter, console=console, guard=guard
    )
    return compose.run(config, runtime, exporter, client(), skip=skipped)


def _key_candidates(argv: Sequence[str], environ: Mapping[str, str]) -> list[str]:
    """The API key as given, before parsing: CF_API_KEY and `--api-key`."""
    found = [environ.get("CF_API_KEY", "")]
    for i, arg in enumerate(argv):
        if arg == "--api-key" and i + 1 < len(argv):
            found.append(argv[i + 1])
        elif arg.startswith("--api-key="):
            found.append(arg.partition("=")[2])
    return [key.strip() for key in found if key.strip()]


def _secret_candidates(argv: Sequence[str], environ: Mapping[str, str]) -> list[str]:
    """The other values to mask before parsing: SECRETS values and proxy credentials."""
    found = []
    for line in environ.get("SECRETS", "").splitlines():
        found.append(line.partition("=")[2].strip().strip("'\""))
    for i, arg in enumerate(argv):
        for flag in ("-S", "--secret"):
            if arg == flag and i + 1 < len(argv):
                found.append(argv[i + 1].partition("=")[2])
            elif arg.startswith(flag + "="):
                found.append(arg[len(flag) + 1 :].partition("=")[2])
    found += proxy_credentials(environ)
    return [v for v in found if v]


_PROXY_NAMES = ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY")


def proxy_passwords(environ: Mapping[str, str]) -> list[str]:
    """The password of `http://user:password@proxy:3128` in a proxy variable: a secret, as
    the key is; both as written and percent-decoded (as it is sent)."""
    found = []
    for _, password in _proxy_user_info(environ):
        found.append(password)
        if "%" in password:
            found.append(_unquote(password))
    return found


def proxy_credentials(environ: Mapping[str, str]) -> list[str]:
    """Every proxy password, and the `Proxy-Authorization` value sent with it (the base64 of
    `user:password`, which a proxy's 407 may echo back)."""
    found = proxy_passwords(environ)
    for user, password in _proxy_user_info(environ):
        pairs = {(user, password), (_unquote(user), _unquote(password))}
        found += [form for u, p in pairs for form in masking.basic_credentials(u, p)]
    return found


def _proxy_user_info(environ: Mapping[str, str]) -> list[tuple[str, str]]:
    """`(user, password)` of each proxy variable that has a password, as written."""
    found = []
    for name in _PROXY_NAMES:
        for value in (environ.get(name, ""), environ.get(name.lower(), "")):
            authority = value.partition("://")[2].partition("/")[0]
            userinfo, at, _ = authority.rpartition("@")
            user, _, password = userinfo.partition(":")
            if at and password:
                found.append((user, password))
    return found


def _unquote(text: str) -> str:
    if "%" not in text:
        return text
    from urllib.parse import unquote  # rare: a percent-encoded proxy user or password

    return unquote(text)


if __name__ == "__main__":
    sys.exit(main())
