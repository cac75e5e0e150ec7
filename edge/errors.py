"""User-facing errors.

An ``EdgeError`` is a problem the user can fix (bad path, bad option, unusable data). The CLI
prints its message as one line on stderr and exits with ``exit_code``; no traceback.
"""


class EdgeError(Exception):
    """A user error: one readable line naming the file and the fix."""

    exit_code = 2

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class CheckFailed(EdgeError):
    """A built-in quality check or release gate did not pass (exit code 1)."""

    exit_code = 1
