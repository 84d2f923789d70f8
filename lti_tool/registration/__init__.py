"""Installing the tool in an LMS: LTI Dynamic Registration 1.0 behind one-time invitations, and
the manual install kits (Canvas developer-key JSON, the values Moodle's tool form asks for)."""
