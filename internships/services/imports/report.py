"""What an import reports: a row refused (``RowError``, every problem at once) and the result
of each row (``RowResult``) in an ``ImportReport``; the listing and profile imports share them."""

from __future__ import annotations

from dataclasses import dataclass, field


class RowError(Exception):
    """One record is refused; each message says one thing wrong with it, for the person who
    wrote the file."""

    def __init__(self, *problems: str) -> None:
        super().__init__(" ".join(problems))
        self.problems = list(problems)


@dataclass(frozen=True)
class RowResult:
    row: int
    outcome: str  # created | updated | unchanged (profiles) | rejected
    external_id: str
    title: str
    reason: str = ""  # a rejected row's problems, one per line
    listing_id: int | None = None
    key_source: str = ""  # which field(s) the key came from (KEY_SOURCES)
    notes: tuple[str, ...] = ()  # what a person should know about an imported row
    draft: bool = False  # imported as a draft that waits for an advisor

    @property
    def problems(self) -> list[str]:
        return self.reason.splitlines()


@dataclass
class ImportReport:
    results: list[RowResult] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.results if r.outcome == outcome)

    @property
    def drafts(self) -> int:
        return sum(1 for r in self.results if r.draft)

    @property
    def summary(self) -> str:
        unchanged, drafts = self.count("unchanged"), self.drafts
        return (
            f"{self.count('created')} created, {self.count('updated')} updated, "
            + (f"{unchanged} unchanged, " if unchanged else "")
            + f"{self.count('rejected')} rejected"
            + (f"; {drafts} {'draft waits' if drafts == 1 else 'drafts wait'} for an advisor "
               "to add the estimated hours" if drafts else "")
        )  # fmt: skip
