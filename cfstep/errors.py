"""The one exception root of cfstep; each subclass carries the exit code of SPEC §7.

Helpers raise, and only the entrypoint (`cfstep.cli.main`) turns an exception into a
one-line message on stderr and an exit code.
"""

from __future__ import annotations


class CfstepError(Exception):
    """Root of every error cfstep reports on purpose."""

    exit_code: int = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ChildFailed(CfstepError):
    """The child build ended in `error` or in a final status cfstep does not know."""

    exit_code = 1


class ChildTerminated(CfstepError):
    """The child build was terminated, or ON_APPROVAL=fail met an approval."""

    exit_code = 2


class WaitTimedOut(CfstepError):
    """TIMEOUT_MINS passed before the child ended (ON_TIMEOUT fail or terminate)."""

    exit_code = 3


class ApiError(CfstepError):
    """The Codefresh API refused the request or could not be reached."""

    exit_code = 4

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class InputError(CfstepError):
    """An input (flag, variable, file) is invalid; nothing was sent."""

    exit_code = 5


class ConditionError(InputError):
    """A condition cannot be parsed or evaluated (SPEC §4)."""


class Cancelled(CfstepError):
    """The step received SIGINT (130) or SIGTERM (143)."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code
