"""The award POST's and the review page's statements stay within psycopg's cache of parsed
statements (4,096 characters, ``psycopg._queries.MAX_CACHED_STATEMENT_LENGTH``): a longer one
is parsed again on every request (issue 16). Compiled for PostgreSQL whatever the test
database."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine

from credit.services.awards import rules

PSYCOPG_CACHED_LENGTH = 4096  # psycopg._queries.MAX_CACHED_STATEMENT_LENGTH
POSTGRESQL = create_engine("postgresql+psycopg://tool@localhost/none").dialect


@pytest.mark.parametrize(
    "statement",
    [
        pytest.param(lambda: rules._student_standing_statement(True), id="award standing"),
        pytest.param(rules._student_history_statement, id="review history"),
    ],
)
def test_the_statement_is_short_enough_for_psycopgs_cache(statement):
    text = str(statement().compile(dialect=POSTGRESQL))
    assert len(text) <= PSYCOPG_CACHED_LENGTH, len(text)
