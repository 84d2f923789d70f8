"""Which packages the distribution holds; everything else (metadata, requirements, package data)
is in setup.cfg.

The repository keeps ``templates/``, ``static/`` and ``migrations/`` at the top level (the
layout the project's design asks for), but the app reads them at run time, so the wheel must
carry them. ``package_dir`` maps each folder to a subpackage of the core, so an installed tool
finds them as ``lti_tool.templates``, ``lti_tool.static`` and ``lti_tool.migrations`` inside
site-packages (``lti_tool.resource_dir``), never in a source tree. The same mapping serves an
editable install (``pip install -e .``): setuptools' import hook maps those names to the
repository's folders, which is why each folder has an ``__init__.py``. No new top-level names
(``templates``, ``static``) are installed into site-packages.
"""

from setuptools import find_packages, setup

# The repository's top-level folders installed inside the core package.
MAPPED = {f"lti_tool.{name}": name for name in ("templates", "static", "migrations")}

setup(
    packages=[
        *find_packages(
            include=[
                "lti_tool",
                "lti_tool.*",
                "internships",
                "internships.*",
                "credit",
                "credit.*",
                "accreditation",
                "accreditation.*",
                "connectors",
                "connectors.*",
                "config",
            ]
        ),
        *MAPPED,
    ],
    package_dir=MAPPED,
)
