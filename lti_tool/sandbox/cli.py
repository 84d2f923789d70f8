"""``flask --app lti_tool sandbox seed``: create the sandbox's key, courses, people and its
registration in the tool for the configured URLs. ``sandbox reset``: drop the sandbox tenant's
demo data and load it again, as ``make run``'s first start does."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from ..actor import Actor
from ..extensions import db
from ..models import Tenant
from ..services import audit
from .reset import count_tenant_rows, drop_demo_data, sandbox_tenant
from .seed import ensure_sandbox, sandbox_info

# What ``make run`` loads after ``sandbox seed`` (its Makefile target), in its order: each
# ``flask <group> <command> --tenant "Sandbox University"``; then the supervisors' ratings
# become outcome evidence (what the running server's job runner does within a minute).
DEMO_LOADERS = (("internships", "demo"), ("credit", "demo"), ("evidence", "sync"))
REPORTED = (
    ("listing", "listings"),
    ("application", "applications"),
    ("engagement", "engagements"),
    ("email_message", "emails"),
)


@click.command("seed")
@with_appcontext
def seed_command() -> None:
    """Seed the sandbox LMS (idempotent) for SANDBOX_TOOL_URL and SANDBOX_PLATFORM_URL."""
    info = ensure_sandbox(
        current_app.config["SANDBOX_TOOL_URL"], current_app.config["SANDBOX_PLATFORM_URL"]
    )
    click.echo(
        f"Sandbox LMS ready: issuer {info.issuer}, client id {info.client_id}, "
        f"deployment {info.deployment_id}."
    )
    click.echo(f"Open {info.platform_url}/sandbox to launch the tool at {info.tool_url}.")


@click.command("reset")
@click.option("--yes", is_flag=True, help="Reset without asking for confirmation.")
@click.pass_context
@with_appcontext
def reset_command(ctx: click.Context, yes: bool) -> None:
    """Drop the sandbox tenant's demo data (people, listings, applications, engagements,
    credit, email, audit) and the sandbox gradebook, then load the demo again as `make run`
    does. Asks first unless --yes; refused in production."""
    cfg = current_app.config
    if cfg.get("CAREER_CREDIT_ENV") == "production" or not cfg.get("SANDBOX_ENABLED"):
        raise click.ClickException(
            "sandbox reset is refused in production (CAREER_CREDIT_ENV=production): it "
            "deletes data. Run it in development (make run sets CAREER_CREDIT_ENV=development)."
        )
    info = sandbox_info(cfg["SANDBOX_TOOL_URL"], cfg["SANDBOX_PLATFORM_URL"])
    tenant_id = sandbox_tenant(info)
    if tenant_id is not None and not yes:
        click.confirm(
            f"Delete every person, listing, application, engagement, credit decision, email "
            f"and audit entry of the sandbox tenant (id {tenant_id}) and the sandbox "
            "gradebook, then load the demo again?",
            abort=True,
        )
    if tenant_id is not None:
        dropped = drop_demo_data(tenant_id)
        db.session.commit()
        click.echo(
            f"Dropped the demo data of tenant {tenant_id}: {dropped.tenant_rows} rows, and "
            f"{dropped.gradebook_rows} rows of the sandbox gradebook and placements."
        )
    else:
        click.echo("The sandbox was not seeded yet: nothing to drop.")
    ctx.invoke(seed_command)
    tenant_id = sandbox_tenant(info)
    if tenant_id is None:  # ensure_sandbox registers it; only a bug gets here
        raise RuntimeError("the sandbox's registration is missing after seeding")
    tenant_name = db.session.get_one(Tenant, tenant_id).name
    for group_name, command_name in DEMO_LOADERS:
        group = current_app.cli.get_command(ctx, group_name)
        loader = group.get_command(ctx, command_name) if isinstance(group, click.Group) else None
        if loader is None:
            raise click.ClickException(f"flask {group_name} {command_name} is not available.")
        tenant_option = next(p.name for p in loader.params if "--tenant" in p.opts)
        ctx.invoke(loader, **{str(tenant_option): tenant_name})
    audit.record(Actor.cli(tenant_id, "sandbox reset"), "sandbox.reset", tenant_id)
    db.session.commit()
    counts = ", ".join(f"{count_tenant_rows(tenant_id, t)} {label}" for t, label in REPORTED)
    click.echo(f"Sandbox demo reset: {tenant_name!r} now holds {counts}.")
