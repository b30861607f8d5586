"""The one exception root of cfstep; each subclass carries its exit code (README, "Exit
codes").

Helpers raise, and only the entrypoint (`cfstep.cli.main`) turns an exception into a
one-line message on stderr and an exit code.
"""

from __future__ import annotations

from cfstep.model import ExitCode


class CfstepError(Exception):
    """Root of every error cfstep reports on purpose."""

    exit_code: ExitCode = ExitCode.CHILD_FAILED

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ChildFailed(CfstepError):
    """The child build ended in `error` or in a final status cfstep does not know."""

    exit_code = ExitCode.CHILD_FAILED


class ChildTerminated(CfstepError):
    """The child build was terminated, or ON_APPROVAL=fail met an approval."""

    exit_code = ExitCode.CHILD_TERMINATED


class WaitTimedOut(CfstepError):
    """TIMEOUT_MINS passed before the child ended (ON_TIMEOUT fail or terminate)."""

    exit_code = ExitCode.TIMED_OUT


class ApiError(CfstepError):
    """The Codefresh API refused the request or could not be reached."""

    exit_code = ExitCode.API_ERROR

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class TransientApiError(ApiError):
    """Trouble worth waiting out while following: no answer, 5xx, 429, unreadable JSON."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class InputError(CfstepError):
    """An input (flag, variable, file) is invalid; nothing was sent."""

    exit_code = ExitCode.BAD_INPUT


class ConditionError(InputError):
    """A condition cannot be parsed or evaluated (README, "Conditions")."""


class Cancelled(CfstepError):
    """The step received SIGINT (130) or SIGTERM (143)."""

    def __init__(self, message: str, exit_code: ExitCode) -> None:
        super().__init__(message)
        self.exit_code = exit_code
