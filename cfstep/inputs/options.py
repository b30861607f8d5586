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


def _o(
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


OPTIONS: tuple[Option, ...] = (
    _o(
        "PIPELINE_ID",
        "--pipeline",
        Kind.TEXT,
        "pipeline to run: project/pipeline name or id",
        positional=True,
        group=RUN,
        metavar="NAME",
    ),
    _o(
        "TRIGGER_ID",
        "-t --trigger",
        Kind.TEXT,
        "trigger name or id",
        child="trigger",
        group=RUN,
        metavar="NAME",
    ),
    _o(
        "BRANCH",
        "-b --branch",
        Kind.TEXT,
        "branch to build",
        child="branch",
        group=RUN,
        metavar="BRANCH",
    ),
    _o("SHA", "-s --sha", Kind.TEXT, "commit to build", child="sha", group=RUN, metavar="SHA"),
    _o(
        "VARIABLE",
        "-v --variable",
        Kind.PAIRS,
        "build variable KEY=VALUE",
        group=RUN,
        metavar="KEY=VALUE",
    ),
    _o(
        "SECRETS",
        "-S --secret",
        Kind.PAIRS,
        "build variable sent encrypted, masked in output",
        group=RUN,
        metavar="KEY=VALUE",
    ),
    _o(
        "VARIABLE_FILE",
        "--variable-file",
        Kind.TEXT,
        "YAML/JSON file: a map of variables, or a list of maps (one build per item)",
        group=RUN,
        metavar="PATH",
    ),
    _o(
        "CONTEXT",
        "-c --context",
        Kind.LIST,
        "shared configuration context",
        child="contexts",
        group=RUN,
        metavar="NAME",
    ),
    _o(
        "ANNOTATION",
        "-a --annotation",
        Kind.PAIRS,
        "annotation key=value on the child",
        group=RUN,
        metavar="KEY=VALUE",
    ),
    _o(
        "NO_CACHE",
        "--no-cache",
        Kind.BOOL,
        "ignore the Docker layer cache",
        "false",
        child="no_cache",
        group=RUN,
    ),
    _o(
        "NO_CF_CACHE",
        "--no-cf-cache",
        Kind.BOOL,
        "ignore Codefresh's cache optimisations",
        "false",
        child="no_cf_cache",
        group=RUN,
    ),
    _o(
        "RESET_VOLUME",
        "--reset-volume",
        Kind.BOOL,
        "reset the pipeline's shared volume",
        "false",
        child="reset_volume",
        group=RUN,
    ),
    _o(
        "ENABLE_NOTIFICATIONS",
        "--enable-notifications",
        Kind.BOOL,
        "send build notifications",
        "false",
        child="enable_notifications",
        group=RUN,
    ),
    _o(
        "ONLY",
        "--only",
        Kind.LIST,
        "run only these steps of the child",
        child="only",
        group=RUN,
        metavar="STEP",
    ),
    _o(
        "SKIP",
        "--skip",
        Kind.LIST,
        "skip these steps of the child",
        child="skip",
        group=RUN,
        metavar="STEP",
    ),
    _o(
        "RUNTIME_NAME",
        "--runtime-name",
        Kind.TEXT,
        "runtime environment of the child",
        child="runtime_name",
        group=RUN,
        metavar="NAME",
    ),
    _o(
        "PACK_NAME",
        "--pack-name",
        Kind.CHOICE,
        "machine size of the child",
        choices=PACK_NAMES,
        child="pack_name",
        group=RUN,
        metavar="SIZE",
    ),
    _o(
        "YAML",
        "--yaml",
        Kind.TEXT,
        "codefresh.yml file that overrides the child's",
        group=RUN,
        metavar="PATH",
    ),
    _o(
        "CONDITION_ALL",
        "--when",
        Kind.CONDITIONS,
        "condition that must hold",
        group=CONDITIONS,
        metavar="EXPR",
    ),
    _o(
        "CONDITION_ANY",
        "--when-any",
        Kind.CONDITIONS,
        "at least one of these must hold",
        group=CONDITIONS,
        metavar="EXPR",
    ),
    _o(
        "CONDITION_ERROR",
        "--condition-error",
        Kind.CHOICE,
        "an expression that cannot be evaluated: fail (exit 5) or skip",
        "fail",
        choices=("fail", "skip"),
        config="condition_error",
        group=CONDITIONS,
        metavar="fail|skip",
    ),
    _o(
        "BRANCH_ONLY",
        "--branch-only",
        Kind.LIST,
        "run only for these CF_BRANCH names or /regex/",
        config="branch_only",
        group=CONDITIONS,
        metavar="NAME|/REGEX/",
    ),
    _o(
        "BRANCH_IGNORE",
        "--branch-ignore",
        Kind.LIST,
        "never run for these CF_BRANCH names or /regex/",
        config="branch_ignore",
        group=CONDITIONS,
        metavar="NAME|/REGEX/",
    ),
    _o(
        "DETACH",
        "-d --detach",
        Kind.BOOL,
        "trigger and exit without waiting",
        "false",
        config="detach",
        group=WAITING,
    ),
    _o(
        "TIMEOUT_MINS",
        "--timeout-mins",
        Kind.NUMBER,
        "longest wait for the child, in minutes",
        "45",
        group=WAITING,
        metavar="MINUTES",
    ),
    _o(
        "ON_TIMEOUT",
        "--on-timeout",
        Kind.CHOICE,
        "at the timeout: fail, terminate the child, or detach",
        "fail",
        choices=("fail", "terminate", "detach"),
        group=WAITING,
        metavar="fail|terminate|detach",
    ),
    _o(
        "TERMINATE_ON_TIMEOUT",
        "--terminate-on-timeout",
        Kind.BOOL,
        "codefresh-run spelling of ON_TIMEOUT=terminate",
        "false",
        group=WAITING,
    ),
    _o(
        "TERMINATE_ON_CANCEL",
        "--terminate-on-cancel",
        Kind.BOOL,
        "terminate the child when this step is stopped (--no-terminate-on-cancel: leave it "
        "running)",
        "true",
        config="terminate_on_cancel",
        group=WAITING,
    ),
    _o(
        "ON_APPROVAL",
        "--on-approval",
        Kind.CHOICE,
        "a child paused for approval: wait, succeed or fail",
        "wait",
        choices=("wait", "succeed", "fail"),
        config="on_approval",
        group=WAITING,
        metavar="wait|succeed|fail",
    ),
    _o(
        "PROPAGATE_FAILURE",
        "--propagate-failure",
        Kind.BOOL,
        "fail this step when the child fails (--no-propagate-failure: report it, exit 0)",
        "true",
        config="propagate_failure",
        group=WAITING,
    ),
    _o(
        "POLL_MAX_SECONDS",
        "--poll-max-seconds",
        Kind.NUMBER,
        "ceiling of the poll interval",
        "15",
        config="poll_max_seconds",
        minimum=1,
        group=WAITING,
        metavar="SECONDS",
    ),
    _o(
        "LOG_TAIL",
        "--log-tail",
        Kind.INTEGER,
        "log lines of a failed child to show (0: none)",
        "50",
        config="log_tail",
        group=WAITING,
        metavar="LINES",
    ),
    _o(
        "BUILD_ID",
        "--build-id",
        Kind.TEXT,
        "follow this existing build instead of triggering",
        config="build_id",
        group=RUN,
        metavar="ID",
    ),
    _o(
        "PIPELINES",
        "--pipelines",
        Kind.TEXT,
        "YAML/JSON list of children to run together",
        group=CHILDREN,
        metavar="LIST",
    ),
    _o(
        "FAIL_FAST",
        "--fail-fast",
        Kind.BOOL,
        "the first failed child terminates the others (--no-fail-fast: let them finish)",
        "true",
        config="fail_fast",
        group=CHILDREN,
    ),
    _o(
        "MAX_PARALLEL",
        "--max-parallel",
        Kind.INTEGER,
        "children running at once",
        "10",
        config="max_parallel",
        minimum=1,
        group=CHILDREN,
        metavar="N",
    ),
    _o(
        "FORWARD",
        "--forward",
        Kind.LIST,
        "copy these variables of this build to the child",
        group=RUN,
        metavar="NAME",
    ),
    _o(
        "RETURN_PREFIX",
        "--return-prefix",
        Kind.TEXT,
        "child annotations with this key prefix become outputs",
        "cfstep_out_",
        config="return_prefix",
        group=OUTPUT,
        metavar="PREFIX",
    ),
    _o(
        "DRY_RUN",
        "--dry-run",
        Kind.BOOL,
        "decide and print the request; start nothing",
        "false",
        config="dry_run",
        group=OUTPUT,
    ),
    _o(
        "PIPELINE_SPEC",
        "--pipeline-spec",
        Kind.LIST,
        "pipeline spec file or glob to create or update the child from first",
        group=SPECS,
        metavar="PATH|GLOB",
    ),
    _o(
        "SPEC_ONLY",
        "--spec-only",
        Kind.BOOL,
        "apply PIPELINE_SPEC and trigger nothing",
        "false",
        group=SPECS,
    ),
    _o(
        "FOLLOW_LOGS",
        "--follow-logs",
        Kind.BOOL,
        "print the child's step logs live (default: true with one child, false with several; "
        "--no-follow-logs: off)",
        group=WAITING,
    ),
    _o(
        "IMAGE_TAG",
        "--image-tag",
        Kind.TEXT,
        "accepted as codefresh-run's (its CLI image); ignored",
        group=RUN,
        metavar="TAG",
    ),
    _o(
        "CF_API_KEY",
        "--api-key",
        Kind.TEXT,
        "Codefresh API key (injected in a pipeline)",
        group=NETWORK,
        metavar="KEY",
    ),
    _o("CF_URL", "--url", Kind.TEXT, "Codefresh URL", DEFAULT_URL, group=NETWORK, metavar="URL"),
    _o(
        "INSECURE",
        "--insecure",
        Kind.BOOL,
        "skip TLS verification",
        "false",
        config="insecure",
        group=NETWORK,
    ),
    _o(
        "MODIFIED_FILES_GLOB",
        "--modified-files",
        Kind.LIST,
        "run the child only when a changed file matches this glob (! excludes), "
        "or `trigger`: its git trigger's Modified files glob",
        group=CHANGED,
        metavar="GLOB|trigger",
    ),
    _o(
        "CHANGED_SINCE",
        "--changed-since",
        Kind.TEXT,
        "what changed is measured from: auto, target (the pull request's merge base), "
        "last-success (the child's last green build), or a git revision",
        "auto",
        group=CHANGED,
        metavar="auto|target|last-success|REV",
    ),
    _o(
        "CHANGED_FILES",
        "--changed-files",
        Kind.LIST,
        "the changed files, instead of asking git, or @FILE holding them",
        group=CHANGED,
        metavar="PATH|@FILE",
    ),
    _o(
        "REPO_DIR",
        "--repo-dir",
        Kind.TEXT,
        "the git working tree that was built (default: $CF_VOLUME_PATH/$CF_REPO_NAME, else .)",
        group=CHANGED,
        metavar="PATH",
    ),
    _o(
        "CA_BUNDLE",
        "--ca-bundle",
        Kind.TEXT,
        "PEM file of CAs to trust for CF_URL (REQUESTS_CA_BUNDLE works too)",
        group=NETWORK,
        metavar="PATH",
    ),
    _o(
        "EXPORT_FILE",
        "--export-file",
        Kind.TEXT,
        "file for KEY=VALUE outputs (default: /meta or $CF_VOLUME_PATH env_vars_to_export)",
        config="export_file",
        group=OUTPUT,
        metavar="PATH",
    ),
    _o(
        "OUTPUT_JSON",
        "--output-json",
        Kind.TEXT,
        "also write all outputs as one JSON document",
        config="output_json",
        group=OUTPUT,
        metavar="PATH",
    ),
    _o(
        "DEBUG",
        "--debug",
        Kind.BOOL,
        "print every API request and response status",
        "false",
        config="debug",
        group=OUTPUT,
    ),
)

ENV_NAMES: tuple[str, ...] = tuple(o.env for o in OPTIONS)
BY_ENV: dict[str, Option] = {o.env: o for o in OPTIONS}
