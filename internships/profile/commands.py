"""``flask --app lti_tool profile import``: the SIS import of program, class year and
expected graduation (the command is the internships area's file import, ``run_import``)."""

from __future__ import annotations

from ..commands import file_import_command

import_command = file_import_command(
    "profiles",
    "profile",
    "Import program, class year and expected graduation of students from an SIS CSV "
    "(header: lms_user_id,email,program,class_year,expected_graduation; see docs/imports.md).",
)
