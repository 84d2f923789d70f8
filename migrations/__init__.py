"""The Alembic migrations, installed as ``lti_tool.migrations`` (see setup.py); this file lets an
editable install map the name to this folder. The app finds it with ``lti_tool.resource_dir``."""
