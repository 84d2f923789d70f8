"""Messages to people, shared by every domain: ``mail`` (``send_email``, stored in
``EmailMessage`` and delivered through the outbox's ``email`` sender, registered by the core)
and ``notifications`` (in-app ``Notification`` rows with an email copy). The development page
that lists the stored mail belongs to the sandbox (``lti_tool.sandbox.outbox``)."""
