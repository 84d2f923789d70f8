"""The supervisor area: public pages reached by a signed link (``/supervisor``), for employer
supervisors without an LMS account — review a listing's applicants, confirm hours, evaluate the
student, submit a listing by invitation — and the signed links themselves (``links``)."""
