"""The option table: every input of the step, once. Each option declares its environment
name beside its flags, how its text is read (`Kind`), its default and where its value goes;
the command line (`cfstep.inputs.flags`), the reading of the environment
(`cfstep.inputs.config`), `--help`, the README's inputs table and step.yaml's arguments all
follow from it (tests hold the last two to it). Adding an input is one entry here, plus its
field in `Config` or `ChildSpec` when it names one. The meaning of each input: README,
"Inputs".
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from cfstep.model import DEFAULT_URL, PACK_NAMES


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


@dataclass(frozen=True)
class Option:
    """One input: its environment name, its flags, how its text is read, its default, and
    the `Config` or `ChildSpec` field its value fills (none: `cfstep.inputs.config` assembles
    it)."""

    env: str
    flags: tuple[str, ...]
    kind: Kind
    help: str
    default: str | None = None
    choices: tuple[str, ...] = ()
    minimum: float = 0
    positional: bool = False
    config: str | None = None
    child: str | None = None


def _o(
    env: str,
    flags: str,
    kind: Kind,
    help: str,
    default: str | None = None,
    *,
    choices: tuple[str, ...] = (),
    minimum: float = 0,
    positional: bool = False,
    config: str | None = None,
    child: str | None = None,
) -> Option:
    return Option(
        env, tuple(flags.split()), kind, help, default, choices, minimum, positional, config, child
    )


OPTIONS: tuple[Option, ...] = (
    _o(
        "PIPELINE_ID",
        "--pipeline",
        Kind.TEXT,
        "pipeline to run: project/pipeline name or id",
        positional=True,
    ),
    _o("TRIGGER_ID", "-t --trigger", Kind.TEXT, "trigger name or id", child="trigger"),
    _o("BRANCH", "-b --branch", Kind.TEXT, "branch to build", child="branch"),
    _o("SHA", "-s --sha", Kind.TEXT, "commit to build", child="sha"),
    _o("VARIABLE", "-v --variable", Kind.PAIRS, "build variable KEY=VALUE (repeat)"),
    _o("SECRETS", "-S --secret", Kind.PAIRS, "build variable sent encrypted, masked in output"),
    _o(
        "VARIABLE_FILE",
        "--variable-file",
        Kind.TEXT,
        "YAML/JSON file: a map of variables, or a list of maps (one build per item)",
    ),
    _o(
        "CONTEXT",
        "-c --context",
        Kind.LIST,
        "shared configuration context (repeat)",
        child="contexts",
    ),
    _o("ANNOTATION", "-a --annotation", Kind.PAIRS, "annotation key=value on the child (repeat)"),
    _o(
        "NO_CACHE",
        "--no-cache",
        Kind.BOOL,
        "ignore the Docker layer cache",
        "false",
        child="no_cache",
    ),
    _o(
        "NO_CF_CACHE",
        "--no-cf-cache",
        Kind.BOOL,
        "ignore Codefresh's cache optimisations",
        "false",
        child="no_cf_cache",
    ),
    _o(
        "RESET_VOLUME",
        "--reset-volume",
        Kind.BOOL,
        "reset the pipeline's shared volume",
        "false",
        child="reset_volume",
    ),
    _o(
        "ENABLE_NOTIFICATIONS",
        "--enable-notifications",
        Kind.BOOL,
        "send build notifications",
        "false",
        child="enable_notifications",
    ),
    _o("ONLY", "--only", Kind.LIST, "run only these steps of the child (repeat)", child="only"),
    _o("SKIP", "--skip", Kind.LIST, "skip these steps of the child (repeat)", child="skip"),
    _o(
        "RUNTIME_NAME",
        "--runtime-name",
        Kind.TEXT,
        "runtime environment of the child",
        child="runtime_name",
    ),
    _o(
        "PACK_NAME",
        "--pack-name",
        Kind.CHOICE,
        "machine size of the child",
        choices=PACK_NAMES,
        child="pack_name",
    ),
    _o("YAML", "--yaml", Kind.TEXT, "codefresh.yml file that overrides the child's"),
    _o("CONDITION_ALL", "--when", Kind.CONDITIONS, "condition that must hold (repeat)"),
    _o("CONDITION_ANY", "--when-any", Kind.CONDITIONS, "at least one of these must hold (repeat)"),
    _o(
        "CONDITION_ERROR",
        "--condition-error",
        Kind.CHOICE,
        "an expression that cannot be evaluated: fail (exit 5) or skip",
        "fail",
        choices=("fail", "skip"),
        config="condition_error",
    ),
    _o(
        "BRANCH_ONLY",
        "--branch-only",
        Kind.LIST,
        "run only for these CF_BRANCH names or /regex/",
        config="branch_only",
    ),
    _o(
        "BRANCH_IGNORE",
        "--branch-ignore",
        Kind.LIST,
        "never run for these CF_BRANCH names or /regex/",
        config="branch_ignore",
    ),
    _o(
        "DETACH",
        "-d --detach",
        Kind.BOOL,
        "trigger and exit without waiting",
        "false",
        config="detach",
    ),
    _o(
        "TIMEOUT_MINS",
        "--timeout-mins",
        Kind.NUMBER,
        "longest wait for the child, in minutes",
        "45",
    ),
    _o(
        "ON_TIMEOUT",
        "--on-timeout",
        Kind.CHOICE,
        "at the timeout: fail, terminate the child, or detach",
        "fail",
        choices=("fail", "terminate", "detach"),
    ),
    _o(
        "TERMINATE_ON_TIMEOUT",
        "--terminate-on-timeout",
        Kind.BOOL,
        "codefresh-run spelling of ON_TIMEOUT=terminate",
        "false",
    ),
    _o(
        "TERMINATE_ON_CANCEL",
        "--terminate-on-cancel",
        Kind.BOOL,
        "terminate the child when this step is stopped",
        "true",
        config="terminate_on_cancel",
    ),
    _o(
        "ON_APPROVAL",
        "--on-approval",
        Kind.CHOICE,
        "a child paused for approval: wait, succeed or fail",
        "wait",
        choices=("wait", "succeed", "fail"),
        config="on_approval",
    ),
    _o(
        "PROPAGATE_FAILURE",
        "--propagate-failure",
        Kind.BOOL,
        "fail this step when the child fails",
        "true",
        config="propagate_failure",
    ),
    _o(
        "POLL_MAX_SECONDS",
        "--poll-max-seconds",
        Kind.NUMBER,
        "ceiling of the poll interval",
        "15",
        config="poll_max_seconds",
        minimum=1,
    ),
    _o(
        "LOG_TAIL",
        "--log-tail",
        Kind.INTEGER,
        "log lines of a failed child to show (0: none)",
        "50",
        config="log_tail",
    ),
    _o(
        "BUILD_ID",
        "--build-id",
        Kind.TEXT,
        "follow this existing build instead of triggering",
        config="build_id",
    ),
    _o("PIPELINES", "--pipelines", Kind.TEXT, "YAML/JSON list of children to run together"),
    _o(
        "FAIL_FAST",
        "--fail-fast",
        Kind.BOOL,
        "first failed child terminates the others",
        "true",
        config="fail_fast",
    ),
    _o(
        "MAX_PARALLEL",
        "--max-parallel",
        Kind.INTEGER,
        "children running at once",
        "10",
        config="max_parallel",
        minimum=1,
    ),
    _o("FORWARD", "--forward", Kind.LIST, "copy these variables of this build to the child"),
    _o(
        "RETURN_PREFIX",
        "--return-prefix",
        Kind.TEXT,
        "child annotations with this key prefix become outputs",
        "cfstep_out_",
        config="return_prefix",
    ),
    _o(
        "DRY_RUN",
        "--dry-run",
        Kind.BOOL,
        "decide and print the request; start nothing",
        "false",
        config="dry_run",
    ),
    _o(
        "PIPELINE_SPEC",
        "--pipeline-spec",
        Kind.LIST,
        "pipeline spec file or glob to create or update the child from first (repeat)",
    ),
    _o("SPEC_ONLY", "--spec-only", Kind.BOOL, "apply PIPELINE_SPEC and trigger nothing", "false"),
    _o(
        "FOLLOW_LOGS",
        "--follow-logs",
        Kind.BOOL,
        "print the child's step logs live (default: true with one child, false with several)",
    ),
    _o(
        "IMAGE_TAG",
        "--image-tag",
        Kind.TEXT,
        "accepted as codefresh-run's (its CLI image); ignored",
    ),
    _o(
        "MODIFIED_FILES_GLOB",
        "--modified-files",
        Kind.LIST,
        "run the child only when a changed file matches this glob (repeat; ! excludes), "
        "or `trigger`: its git trigger's Modified files glob",
    ),
    _o(
        "CHANGED_SINCE",
        "--changed-since",
        Kind.TEXT,
        "what changed is measured from: auto, target (the pull request's merge base), "
        "last-success (the child's last green build), or a git revision",
        "auto",
    ),
    _o(
        "CHANGED_FILES",
        "--changed-files",
        Kind.LIST,
        "the changed files, instead of asking git (repeat), or @FILE holding them",
    ),
    _o(
        "REPO_DIR",
        "--repo-dir",
        Kind.TEXT,
        "the git working tree that was built (default: $CF_VOLUME_PATH/$CF_REPO_NAME, else .)",
    ),
    _o("CF_API_KEY", "--api-key", Kind.TEXT, "Codefresh API key (injected in a pipeline)"),
    _o("CF_URL", "--url", Kind.TEXT, "Codefresh URL", DEFAULT_URL),
    _o("INSECURE", "--insecure", Kind.BOOL, "skip TLS verification", "false", config="insecure"),
    _o(
        "CA_BUNDLE",
        "--ca-bundle",
        Kind.TEXT,
        "PEM file of CAs to trust for CF_URL (REQUESTS_CA_BUNDLE works too)",
    ),
    _o(
        "EXPORT_FILE",
        "--export-file",
        Kind.TEXT,
        "file for KEY=VALUE outputs (default: /meta or $CF_VOLUME_PATH env_vars_to_export)",
        config="export_file",
    ),
    _o(
        "OUTPUT_JSON",
        "--output-json",
        Kind.TEXT,
        "also write all outputs as one JSON document",
        config="output_json",
    ),
    _o(
        "DEBUG",
        "--debug",
        Kind.BOOL,
        "print every API request and response status",
        "false",
        config="debug",
    ),
)

ENV_NAMES: tuple[str, ...] = tuple(o.env for o in OPTIONS)
BY_ENV: dict[str, Option] = {o.env: o for o in OPTIONS}
