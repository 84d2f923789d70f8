"""``flask --app lti_tool credit demo``: demo credit policies and decisions for ``make run``;
``credit find-misposted``: an operator's check of the grades sent so far against the LMS."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from lti_tool.actor import Actor
from lti_tool.extensions import db
from lti_tool.models import Tenant


def _tenant(tenant_ref: str) -> Tenant:
    stmt = select(Tenant).where(
        Tenant.id == int(tenant_ref) if tenant_ref.isdigit() else Tenant.name == tenant_ref
    )
    tenant = db.session.scalar(stmt)
    if tenant is None:
        raise click.BadParameter(f"no tenant {tenant_ref!r}", param_hint="--tenant")
    return tenant


@click.command("find-misposted")
@click.option("--tenant", "tenant_ref", required=True, help="The tenant's name or id.")
@with_appcontext
def find_misposted_command(tenant_ref: str) -> None:
    """Check every course's sent credit grades against the LMS and list those that went to a
    column Career Credit does not own (instructors re-post them from their course)."""
    from lti_tool.errors import ConnectorError

    from .services import misposted

    tenant = _tenant(tenant_ref)
    actor = Actor.cli(tenant.id, "credit find-misposted")
    new = 0
    try:
        for course_id in misposted.courses_with_final_awards(tenant.id):
            sends = misposted.unchecked_sends(tenant.id, course_id)
            db.session.commit()  # course by course; no write transaction waits on the LMS
            new += misposted.record_misposted(actor, course_id, sends)
    except ConnectorError as exc:
        raise click.ClickException(exc.message) from exc
    db.session.commit()
    found = misposted.misposted(tenant.id)
    click.echo(f"{new} new; {len(found)} recorded in {tenant.name!r}:")
    for m in found:
        state = "re-posted" if m.reposted_at else "not re-posted yet"
        where = f"'{m.column_label}'" if m.kind == "foreign" else "a deleted column"
        click.echo(
            f"  course {m.course.title!r}: user {m.student_id}, grade {m.grade_label} "
            f"in {where} ({state})"
        )


@click.command("demo")
@click.option("--tenant", "tenant_ref", required=True, help="The tenant's name or id.")
@with_appcontext
def demo_command(tenant_ref: str) -> None:
    """Load demo credit policies and decisions into a tenant (idempotent; run after
    ``internships demo``)."""
    from .demo import seed_credit

    tenant = _tenant(tenant_ref)
    ready = seed_credit(tenant.id)
    db.session.commit()
    click.echo(f"Demo credit policies are in {tenant.name!r} ({ready} students ready for review).")
