"""Values back from a child: which of its annotations `<RETURN_PREFIX><NAME>` become
outputs, and why the others do not (README, "Several children, and values back").

Pure: the annotations are read by `cfstep.run.collect`, the values exported by the report.
"""

from __future__ import annotations

from cfstep.outputs import valid_key

TYPE_CHECKING = False  # not from typing: a run never imports typing (docs/performance.md)
if TYPE_CHECKING:
    from collections.abc import Mapping

MAX_RETURNED_NAME = 128
"""Longest NAME of a returned value, in characters."""
MAX_RETURNED_BYTES = 16 * 1024
"""Largest returned value, in bytes of UTF-8: later steps get it in their environment."""

# Names a later step's environment or Codefresh itself depends on: a child must not be able
# to change how the parent's later steps find programs, load libraries, run Python, reach the
# network or Codefresh, or what this step exports (README "Several children, and values back").
_RESERVED_NAMES = frozenset(
    {
        "PATH", "HOME", "SHELL", "USER", "LOGNAME", "PWD", "OLDPWD", "CDPATH", "IFS",
        "ENV", "BASH_ENV", "PROMPT_COMMAND", "PS1", "PS2", "PS4", "SHLVL", "HOSTNAME",
        "TMPDIR", "TMP", "TEMP", "TERM", "LANG", "LANGUAGE", "TZ", "MAIL",
        "GCONV_PATH", "LOCPATH", "NLSPATH", "HOSTALIASES", "RES_OPTIONS", "LOCALDOMAIN",
        "NODE_OPTIONS", "NODE_PATH", "NODE_EXTRA_CA_CERTS", "PERL5LIB", "PERL5OPT",
        "PERLLIB", "RUBYOPT", "RUBYLIB", "CLASSPATH", "JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS",
        "JDK_JAVA_OPTIONS", "KUBECONFIG", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY",
        "ALL_PROXY", "FTP_PROXY", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE",
        "SSL_CERT_DIR", "INSECURE", "CA_BUNDLE", "GOPROXY", "GOFLAGS", "MAVEN_OPTS",
        "GRADLE_OPTS",
    }
)  # fmt: skip
_RESERVED_PREFIXES = (
    "BUILD_", "CF_", "LD_", "DYLD_", "PYTHON", "LC_", "GIT_", "SSH_", "DOCKER_", "MALLOC_",
    "PIP_", "NPM_CONFIG_",
)  # fmt: skip
_RESERVED_SUFFIXES = ("_CF_OUTPUT_URL",)
# C0 controls but tab and line breaks (a value's lines are joined with spaces), DEL, C1.
_CONTROL = frozenset(chr(c) for c in (*range(0x20), *range(0x7F, 0xA0))) - set("\t\n\r")


def returned_values(
    found: Mapping[str, str], prefix: str
) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """The annotations `<prefix><NAME>` as {NAME: value}, and the (key, reason) of each one
    refused by the rule in the README ("Several children, and values back")."""
    returned: dict[str, str] = {}
    refused: list[tuple[str, str]] = []
    for key, value in found.items():
        name = key[len(prefix) :]
        if not key.startswith(prefix) or not name:
            continue
        reason = _name_refused(name) or _value_refused(value)
        if reason is None:
            returned[name] = value
        else:
            refused.append((key, reason))
    return returned, refused


def _name_refused(name: str) -> str | None:
    if len(name) > MAX_RETURNED_NAME or not valid_key(name):
        return (
            f"its name must be letters, digits and _, not starting with a digit, "
            f"at most {MAX_RETURNED_NAME} characters"
        )
    upper = name.upper()
    if (
        upper in _RESERVED_NAMES
        or upper.startswith(_RESERVED_PREFIXES)
        or upper.endswith(_RESERVED_SUFFIXES)
    ):
        return (
            f"{name} is a name this step, Codefresh or the environment of later steps "
            "depends on — pick another name"
        )
    return None


def _value_refused(value: str) -> str | None:
    try:
        size = len(value.encode("utf-8"))
    except UnicodeEncodeError:
        return "its value is not valid text (a lone surrogate)"
    if size > MAX_RETURNED_BYTES:
        return f"its value is {size:,} bytes, more than {MAX_RETURNED_BYTES:,}"
    if not _CONTROL.isdisjoint(value):
        return "its value holds control characters (NUL, ESC, ...)"
    return None
