"""The core's CLI commands, one module per group: ``platform`` (registrations, deployments,
REST credentials), ``keys``, ``maintenance`` and ``students``; ``lti_tool.cli.register_cli``
adds the groups. Scripts call these exact names; bad arguments give a one-line error and a
non-zero exit, and nothing is half-written (one commit per command)."""
