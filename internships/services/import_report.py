"""An import's report as its pages show it: the rows with problems (refused rows) first, then
the rest, each group in file order, in pages of ``PER_PAGE``, with the count of each group.
Serves a background import's stored rows (dicts) and a short import's ``RowResult`` rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from lti_tool.paging import Page, paginate_list

PER_PAGE = 100


def _outcome(row: Any) -> str:
    return str(row["outcome"] if isinstance(row, dict) else row.outcome)


def _row(row: Any) -> int:
    return int(row["row"] if isinstance(row, dict) else row.row)


@dataclass(frozen=True)
class ReportPage:
    """One page of a report, and how many rows have problems and how many were imported."""

    rows: Page[Any]
    problems: int
    imported: int

    @property
    def counts(self) -> str:
        """ "37 rows with problems, 963 imported" (or "no problems")."""
        problems = (
            f"{self.problems} {'row' if self.problems == 1 else 'rows'} with problems"
            if self.problems
            else "No row has a problem"
        )
        return f"{problems}, {self.imported} imported"

    @property
    def first_imported(self) -> int:
        """The position (1-based, in the report's order) of the first row without problems."""
        return self.problems + 1


def problems_first(results: Sequence[Any]) -> list[Any]:
    """The report's rows: refused rows first, then the others, each in file order."""
    return sorted(results, key=lambda row: (_outcome(row) != "rejected", _row(row)))


def report_page(results: Sequence[Any], page: int, per_page: int = PER_PAGE) -> ReportPage:
    """The ``page`` of an import's report (rows with problems first)."""
    ordered = problems_first(results)
    problems = sum(1 for row in ordered if _outcome(row) == "rejected")
    return ReportPage(paginate_list(ordered, page, per_page), problems, len(ordered) - problems)
