"""internships.employers: employers and pay (issue 21) — fair pay tracked and proven, an
employer's own view, and the hiring pipeline. No money moves through the tool.

Two areas, each a package with ``MODELS``-listed models and a ``register(app)``:

- ``pay``: each paid engagement's pay terms and payment records (the employer marks a payment,
  the student confirms or disputes), overdue payments and their notices, dispute cases an
  advisor resolves, the publishing block on employers with unresolved overdue payments, the
  effective hourly rate against the institution's floor;
- ``portal``: the employer contact's signed, revocable link to their own page (listings,
  applicants, engagements, payments due, past projects), copying a listing, inviting a
  colleague as supervisor, and the offers that follow a final evaluation.

The advisor's employer figures are a report (``accreditation.reports``)."""

from __future__ import annotations

from flask import Flask

MODELS = ("internships.employers.pay.models", "internships.employers.portal.models")


def register(app: Flask) -> None:
    """Each area's blueprints, panels, hooks and senders."""
    from .blueprint import bp
    from .pay import register as register_pay
    from .portal import register as register_portal

    register_pay(app)
    register_portal(app)
    app.register_blueprint(bp)  # after the areas have added their routes to it
