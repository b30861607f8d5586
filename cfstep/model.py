"""The data every other module speaks: what to start (`ChildSpec`), the parsed inputs
(`Config`, `Platform`), what became of a child (`Outcome`) and what the step exits with
(`ExitCode`). Imports nothing of cfstep's, so anything may import it.

The meaning of each input, output and exit code is in the README ("Inputs", "Outputs",
"Exit codes").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum, StrEnum

TYPE_CHECKING = False  # not from typing: a run never imports typing (docs/performance.md)
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

DEFAULT_URL = "https://g.codefresh.io"
PACK_NAMES = ("small", "medium", "large", "xlarge")
MAX_GLOB_CHARS = 65_500
"""The longest MODIFIED_FILES_GLOB glob: Codefresh's own limit on a trigger's
`modifiedFilesGlob` (docs/monorepos.md)."""
FROM_TRIGGER = ("trigger",)
"""MODIFIED_FILES_GLOB=trigger: the child's own git trigger's `modifiedFilesGlob`."""


class Outcome(StrEnum):
    """What became of a child, as BUILD_STATUS exports it. A final status Codefresh reports
    that cfstep does not know is exported as it is, a plain `str`."""

    SUCCESS = "success"
    ERROR = "error"
    TERMINATED = "terminated"
    TIMEOUT = "timeout"
    SKIPPED = "skipped"
    DETACHED = "detached"
    PENDING_APPROVAL = "pending-approval"


FINAL_STATUSES = frozenset({"success", "error", "terminated"})
"""The statuses Codefresh ends a build with; its own clients treat only these as final."""
RUNNING_STATUSES = frozenset(
    {"pending", "elected", "running", "delayed", "pending-approval", "terminating"}
)
"""The statuses of a build that has not ended (docs/decisions.md: a status cfstep does not
know)."""


class ExitCode(IntEnum):
    """The step's exit codes (README, "Exit codes")."""

    OK = 0
    CHILD_FAILED = 1
    CHILD_TERMINATED = 2
    TIMED_OUT = 3
    API_ERROR = 4
    BAD_INPUT = 5
    INTERNAL_ERROR = 70  # EX_SOFTWARE: a cfstep bug is never mistaken for a failed child
    SIGINT = 130
    SIGTERM = 143


EXIT_CODES: Mapping[str, ExitCode] = {
    Outcome.SUCCESS: ExitCode.OK,
    Outcome.SKIPPED: ExitCode.OK,
    Outcome.DETACHED: ExitCode.OK,
    Outcome.PENDING_APPROVAL: ExitCode.OK,  # ON_APPROVAL=fail makes it CHILD_TERMINATED
    Outcome.ERROR: ExitCode.CHILD_FAILED,
    Outcome.TERMINATED: ExitCode.CHILD_TERMINATED,
    Outcome.TIMEOUT: ExitCode.TIMED_OUT,
}
"""Each outcome's exit code; a status cfstep does not know is CHILD_FAILED."""


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
    # MODIFIED_FILES_GLOB (PIPELINES: modified_files_glob): the child is triggered only
    # when a changed file matches; never sent. Empty: no filter; FROM_TRIGGER: its trigger's.
    modified_files_glob: tuple[str, ...] = ()


@dataclass(frozen=True)
class OnlyChanged:
    """What MODIFIED_FILES_GLOB's changed files are (docs/monorepos.md): git's, between a
    base chosen by CHANGED_SINCE and HEAD of REPO_DIR, unless CHANGED_FILES lists them."""

    since: str = "auto"  # CHANGED_SINCE: auto, target, last-success, or a git revision
    changed_files: tuple[str, ...] | None = None  # CHANGED_FILES: git is then not asked
    changed_files_from: str | None = None  # the file CHANGED_FILES named with @, if any
    repo_dir: str = "."  # REPO_DIR, its default resolved
    pull_request_target: str | None = None  # CF_PULL_REQUEST_TARGET: a pull-request build
    branch: str | None = None  # CF_BRANCH: the branch a last success is looked up on
    search_path: str = ""  # PATH: where git is found


@dataclass(frozen=True)
class Platform:
    """What the Codefresh build running this step tells it through its environment."""

    parent_build_id: str | None = None  # CF_BUILD_ID: the child is linked to it
    step_name: str | None = None  # CF_STEP_NAME: names the <step>_CF_OUTPUT_URL output
    # CFSTEP_TYPED_STEP: set by step.yaml's stepsTemplate to the key of cfstep's step in it
    # (`main`), which then also gets the link, as codefresh-run's `first` does (README, Outputs).
    typed_step: str | None = None
    branch: str = ""  # CF_BRANCH: what BRANCH_ONLY / BRANCH_IGNORE test
    volume_path: str | None = None  # CF_VOLUME_PATH: where the export file goes
    # HTTPS_PROXY, NO_PROXY, REQUESTS_CA_BUNDLE, …: what the HTTP session reads
    network: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PipelineSpec:
    """One checked pipeline spec (README, "Pipelines from a spec"): where it came from, its
    pipeline `project/pipeline`, the document to send as written, and the values of its
    encrypted variables, masked in every output like SECRETS."""

    source: str  # the file, or "the inline spec"
    name: str  # metadata.name
    document: dict[str, Any]
    encrypted_values: tuple[str, ...] = ()

    @property
    def project(self) -> str:
        return self.name.partition("/")[0]


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
    platform: Platform = field(default_factory=Platform)
    # A condition may name any variable of the build (`${{X}}`, `Variable("X")`): the
    # condition evaluator alone is given the whole environment.
    condition_variables: Mapping[str, str] = field(default_factory=dict, repr=False)
    ca_bundle: str | None = None  # CA_BUNDLE, checked readable
    follow_logs: bool = False  # FOLLOW_LOGS, its default resolved for the children
    notices: tuple[str, ...] = ()  # one line each, printed before anything starts
    pipeline_specs: tuple[PipelineSpec, ...] = ()  # PIPELINE_SPEC, read and checked
    spec_only: bool = False
    # The input that set `on_timeout`: TERMINATE_ON_TIMEOUT (codefresh-run's spelling) or
    # ON_TIMEOUT, so that messages name what the user wrote.
    on_timeout_option: str = "ON_TIMEOUT"
    only_changed: OnlyChanged = field(default_factory=OnlyChanged)

    @property
    def secrets(self) -> tuple[str, ...]:
        """Every value that must never be printed."""
        found = [value for child in self.children for _, value in child.secrets]
        found += [value for spec in self.pipeline_specs for value in spec.encrypted_values]
        if self.api_key:
            found.append(self.api_key)
        return tuple(v for v in found if v)
