"""How the "For you" list scores and explains a candidate listing (see ``recommend.py`` for
the candidates and the weights' meaning). Pure Python over the candidates' light columns:
nothing here reads the database."""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row

from lti_tool.words import money

from ..vocabulary import skill_label

W_SKILLS = 4.0
W_TEXT = 2.0
W_FIT = 0.75
W_PAY = 0.5
W_GAPS = 1.0


def _and_list(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _idf(docs: Iterable[set[str]]) -> tuple[dict[str, float], int]:
    df: Counter[str] = Counter()
    n = 0
    for doc in docs:
        df.update(doc)
        n += 1
    return {w: math.log(1 + n / c) for w, c in df.items()}, n


@dataclass
class Scorer:
    """What scoring reads of the student (their skills in their order, their words, weekly
    availability, competency gaps), of the candidates (the words each shares with the
    student, planned weekly hours) and of the tenant (pay floor, today)."""

    mine: list[str]
    query: set[str]
    shared_words: dict[int, set[str]]
    weekly: dict[int, int]
    idf: dict[str, float]
    default_idf: float
    query_weight: float
    gaps: set[str]
    availability: int | None
    floor: int
    today: dt.date

    @classmethod
    def build(
        cls,
        mine: list[str],
        query: set[str],
        listings: list[Row[Any]],
        weekly: dict[int, int],
        **student_and_tenant: Any,
    ) -> Scorer:
        """Only the student's words matter: each listing's text is read for those (``query``
        holds no stop word), and their document frequencies come from the sample."""
        shared_words = {
            listing.id: query.intersection(f"{listing.search_title} {listing.search_body}".split())
            if query
            else set()
            for listing in listings
        }
        idf, n = _idf(shared_words[listing.id] for listing in listings if listing.in_sample)
        default_idf = math.log(1 + max(n, 1))
        query_weight = sum(idf.get(w, default_idf) for w in query)
        return cls(
            mine, query, shared_words, weekly, idf, default_idf, query_weight, **student_and_tenant
        )

    def __post_init__(self) -> None:
        self._skills = set(self.mine)

    def score(self, listing: Row[Any]) -> float:
        skills = self._skills
        total = 0.0
        theirs = listing.skills or []
        shared = skills.intersection(theirs)
        if shared:
            total += W_SKILLS * len(shared) / math.sqrt(len(skills) * len(set(theirs)))
        common = self.shared_words[listing.id]
        query_weight = self.query_weight
        if common and query_weight:
            total += W_TEXT * sum(self.idf.get(w, self.default_idf) for w in common) / query_weight
        if self.availability is not None:
            total += W_FIT if self.weekly[listing.id] <= self.availability else -W_FIT
        competencies = listing.competencies or []
        if competencies:
            total += W_GAPS * sum(1 for c in competencies if c in self.gaps) / len(competencies)
        return round(total + self._pay(listing), 4)

    def _pay(self, listing: Row[Any]) -> float:
        rate = listing.effective_rate_cents or 0
        if listing.compensation_type == "unpaid" or not rate:
            return 0.0
        floor = self.floor
        if rate >= floor:
            return W_PAY * (1 + min(1.0, (rate - floor) / floor if floor else 1.0))
        return W_PAY / 2

    def reasons(self, listing: Row[Any]) -> list[str]:
        said: list[str] = []
        theirs = set(listing.skills or [])
        shared = [s for s in self.mine if s in theirs]  # in the student's order
        if shared:
            said.append("Uses your " + _and_list([skill_label(s) for s in shared[:3]]))
        common = self.shared_words[listing.id] if self.query_weight else set()
        if common:
            top = sorted(common, key=lambda w: (-self.idf.get(w, self.default_idf), w))[:3]
            said.append("Matches your interests and goals (" + ", ".join(top) + ")")
        weekly = self.weekly[listing.id]
        if self.availability is not None and weekly <= self.availability:
            said.append(f"Fits your {self.availability} h a week (about {weekly} h a week)")
        building = [c for c in listing.competencies or [] if c in self.gaps]
        if building:
            said.append("Builds " + _and_list(building[:2]) + ", which you have not shown yet")
        if not (shared or common):
            said.extend(self._worth_a_look(listing))
        return said

    def _worth_a_look(self, listing: Row[Any]) -> list[str]:
        """Nothing personal to say (an empty profile): why it is worth a look anyway."""
        said: list[str] = []
        rate = listing.effective_rate_cents or 0
        if listing.compensation_type != "unpaid" and rate:
            said.append(f"Open now and paid {money(rate, listing.currency, whole=True)}/h")
        else:
            said.append("Open now")
        if listing.application_deadline is not None:
            days = (listing.application_deadline - self.today).days
            said.append("Closes today" if days == 0 else f"Closes in {days} day{'s' * (days != 1)}")
        return said

    def best(self, listings: list[Row[Any]], limit: int) -> list[tuple[float, Row[Any]]]:
        """The ``limit`` best, ties to the soonest deadline, then the newest listing."""

        def key(item: tuple[float, Row[Any]]) -> tuple[float, dt.date, float, int]:
            value, listing = item
            created = listing.created_at.timestamp() if listing.created_at else 0.0
            return (-value, listing.application_deadline or dt.date.max, -created, listing.id)

        return sorted(((self.score(listing), listing) for listing in listings), key=key)[:limit]
