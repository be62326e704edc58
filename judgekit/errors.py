"""judgekit's exception types and exit codes. Every message says where (file, line, field) and what to do.

Exit codes (the CLI maps exceptions to them; README "Exit codes and outputs"):

    0    success
    1    a bug in judgekit (a traceback; please report it)
    2    bad input, a spec that does not validate, or a refused output location; nothing was written
    3    the run finished and wrote its outputs, but calls or items failed (more than --max-error-rate)
    4    the run was stopped: the backend refused every request (401/403/404); what was done is cached
    5    the run was stopped by its budget (--max-cost); what was done is cached, a rerun resumes
    130  interrupted (Ctrl-C)
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_BAD_INPUT = 2
EXIT_CALLS_FAILED = 3
EXIT_BACKEND_REFUSED = 4
EXIT_BUDGET = 5
EXIT_INTERRUPTED = 130


class JudgekitError(Exception):
    """Base class: an error a user can act on. The CLI prints it and exits with ``exit_code``."""

    exit_code = EXIT_BAD_INPUT


class DataError(JudgekitError):
    """Bad input data: a malformed record, a missing field, a duplicate id."""

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        line: int | None = None,
        row: int | None = None,
        field: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.reason = message
        self.source = source
        self.line = line
        self.row = row
        self.field = field
        self.hint = hint
        super().__init__(self._render())

    def _render(self) -> str:
        where = self.source or "<data>"
        if self.line is not None:
            where += f":{self.line}"
        elif self.row is not None:
            where += f" (row {self.row})"
        text = f"{where}: "
        if self.field:
            text += f"field '{self.field}': "
        text += self.reason
        if self.hint:
            text += f" — {self.hint}"
        return text

    def __reduce__(self):
        # pickled with its fields (rows read in worker processes come back with their errors)
        return _data_error, (self.reason, self.source, self.line, self.row, self.field, self.hint)

    def located(self, *, source: str | None = None, line: int | None = None, row: int | None = None) -> DataError:
        """The same error with a location filled in where it was missing."""
        return DataError(
            self.reason,
            source=self.source or source,
            line=self.line if self.line is not None else line,
            row=self.row if self.row is not None else row,
            field=self.field,
            hint=self.hint,
        )


def _data_error(reason: str, source: str | None, line: int | None, row: int | None, field: str | None,
                hint: str | None) -> DataError:
    return DataError(reason, source=source, line=line, row=row, field=field, hint=hint)


class SpecError(JudgekitError):
    """A YAML spec, recipe, suite or template that does not validate."""


class RegistryError(JudgekitError):
    """An unknown name, or a name registered twice."""


class OutputError(JudgekitError):
    """An output location judgekit refuses to write (not its own files, not writable, the input's folder)."""


class BackendError(JudgekitError):
    """A text-generation backend failed in a way that retrying will not fix."""


class BackendRefused(BackendError):
    """The backend refused a request in a way every further request would repeat (bad key, model or URL).

    The run stops at once; completed requests are already in the response cache.
    """

    exit_code = EXIT_BACKEND_REFUSED


class BudgetExceeded(JudgekitError):
    """The next requests would spend more than the run's ``--max-cost``; the run stopped before them."""

    exit_code = EXIT_BUDGET


class RunFailed(JudgekitError):
    """The run wrote its outputs, but too many calls or items failed; the message says how many and where."""

    exit_code = EXIT_CALLS_FAILED
