"""accreditation.credentials: proof a student can carry (issue 19) — Open Badges 3.0
``OpenBadgeCredential``s for finished micro-internships and credit awards, a CLR 2.0
``ClrCredential`` of them all, and the student's portfolio.

Three areas, each a package with a ``register(app)``:

- ``proof``: the institution as issuer (a ``did:web`` DID document with Ed25519 ``Multikey``
  keys, encrypted at rest, rotatable), signing and verifying with a ``DataIntegrityProof``
  (``eddsa-rdfc-2022``, every JSON-LD context bundled), Bitstring Status Lists; its public
  routes (DID documents, status lists);
- ``issuance``: what is issued and when — the credentials of engagements and awards, the CLR,
  revocation and reissue on a correction, bulk issuing in the background;
- ``pages``: "My credentials", the public verification page, the portfolio, and what faculty
  and advisors see of credentials."""

from __future__ import annotations

from flask import Flask

MODELS = (
    "accreditation.credentials.proof.models",
    "accreditation.credentials.models",
    "accreditation.credentials.pages.models",
)


def register(app: Flask) -> None:
    """Each area's blueprints, hooks, task kinds and commands."""
    from .blueprint import bp
    from .issuance import register as register_issuance
    from .pages import register as register_pages
    from .proof import register as register_proof

    register_proof(app)
    register_issuance(app)
    register_pages(app)
    app.register_blueprint(bp)  # after the areas have added their routes to it
