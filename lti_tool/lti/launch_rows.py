"""The rows a launch writes, and on PostgreSQL one statement that writes them.

A launch into a course upserts the user, the course, the enrolment and the resource link and
inserts the launch. Written one by one that is five statements, each a round trip and about a
quarter of a millisecond of the tool's CPU on the hot path. On PostgreSQL the five are one:
data-modifying ``WITH`` queries (``INSERT … ON CONFLICT … DO UPDATE … RETURNING id``) pass the
user's and the course's ids to the rows that name them, and the foreign keys are checked at
the end of the statement, when every row is there. SQLite has no data-modifying ``WITH``: there
``write`` runs the upserts in order (``db_helpers.upsert``, built once per shape as well)."""

from __future__ import annotations

import functools
from typing import Any, NamedTuple

from sqlalchemy import FromClause, Select, Table, bindparam, select, true
from sqlalchemy.dialects.postgresql import insert as pg_insert

from ..db_helpers import upsert
from ..extensions import db
from ..models import Course, Enrolment, Launch, ResourceLink, User


class Upsert(NamedTuple):
    """One row to insert, or to update on a conflict of ``keys`` (the ``update`` columns)."""

    keys: tuple[str, ...]
    values: dict[str, Any]
    update: tuple[str, ...]

    @property
    def shape(self) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
        return self.keys, tuple(self.values), self.update


class CourseLaunch(NamedTuple):
    """A launch into a course: its rows without the user's and the course's ids, which the
    writing fills in (the enrolment's ``course_id`` and ``user_id``, the link's ``course_id``,
    the launch's ``user_id`` and ``course_id``)."""

    user: Upsert
    course: Upsert
    enrolment: Upsert
    link: Upsert | None
    launch: dict[str, Any]


def write(rows: CourseLaunch) -> tuple[int, int]:
    """Write the launch's rows; the user's and the course's ids."""
    conn = db.session.connection()
    if conn.dialect.name != "postgresql":
        return _one_by_one(rows)
    shape = (
        rows.user.shape,
        rows.course.shape,
        rows.enrolment.shape,
        rows.link.shape if rows.link else None,
        tuple(rows.launch),
    )
    params = {
        **_prefixed("u_", rows.user.values),
        **_prefixed("c_", rows.course.values),
        **_prefixed("e_", rows.enrolment.values),
        **(_prefixed("r_", rows.link.values) if rows.link else {}),
        **_prefixed("l_", rows.launch),
    }
    found = conn.execute(_statement(shape), params).one()
    return int(found.user_id), int(found.course_id)


def _one_by_one(rows: CourseLaunch) -> tuple[int, int]:
    user_id = upsert(User, rows.user.keys, rows.user.values, rows.user.update)
    course_id = upsert(Course, rows.course.keys, rows.course.values, rows.course.update)
    ids = {"course_id": course_id, "user_id": user_id}
    enrolment = rows.enrolment
    upsert(Enrolment, enrolment.keys, enrolment.values | ids, enrolment.update)
    if rows.link is not None:
        link = rows.link
        upsert(ResourceLink, link.keys, link.values | {"course_id": course_id}, link.update)
    db.session.connection().execute(Launch.__table__.insert(), rows.launch | ids)
    return user_id, course_id


def _prefixed(prefix: str, values: dict[str, Any]) -> dict[str, Any]:
    return {prefix + name: value for name, value in values.items()}


def _params(table: Table, prefix: str, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: bindparam(prefix + name, type_=table.c[name].type) for name in names}


@functools.lru_cache(maxsize=16)
def _statement(shape: tuple[Any, ...]) -> Select[Any]:
    """The one statement for a shape of launch (which columns, a resource link or not)."""
    user_shape, course_shape, enrolment_shape, link_shape, launch_names = shape
    users, courses = User.__table__, Course.__table__
    u = _upserting(users, "u_", user_shape).returning(users.c.id).cte("u")
    c = _upserting(courses, "c_", course_shape).returning(courses.c.id).cte("c")
    both = u.join(c, true())  # one row each: their ids side by side
    ids = {"course_id": c.c.id, "user_id": u.c.id}
    ctes = [_upserting(Enrolment.__table__, "e_", enrolment_shape, ids, both).cte("e")]
    if link_shape is not None:
        link = _upserting(ResourceLink.__table__, "r_", link_shape, {"course_id": c.c.id}, c)
        ctes.append(link.cte("r"))
    launch = _params(Launch.__table__, "l_", launch_names) | ids
    rows = select(*launch.values()).select_from(both)
    ctes.append(pg_insert(Launch.__table__).from_select(list(launch), rows).cte("l"))
    found = select(u.c.id.label("user_id"), c.c.id.label("course_id")).select_from(both)
    return found.add_cte(*ctes)


def _upserting(
    table: Table,
    prefix: str,
    shape: tuple[Any, ...],
    ids: dict[str, Any] | None = None,
    source: FromClause | None = None,
) -> Any:
    """The upsert of a row whose values are bound, and whose ``ids`` (if any) are read from
    ``source`` (the user's and the course's rows written before it)."""
    keys, names, update = shape
    values = _params(table, prefix, names) | (ids or {})
    insert = (
        pg_insert(table).from_select(list(values), select(*values.values()).select_from(source))
        if source is not None
        else pg_insert(table).values(values)
    )
    return insert.on_conflict_do_update(
        index_elements=list(keys), set_={name: insert.excluded[name] for name in update}
    )
