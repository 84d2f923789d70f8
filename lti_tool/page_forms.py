"""A page's forms post to the page itself.

A form a person types into posts to the address of the page that shows it (the same path and
query string, ``lid=`` included), never to a sub-address: a refusal re-rendered with 422 then
stays at the page's own address, and the history holds no entry of an address that only
answers POST. The view of such a page accepts GET and POST; on a POST it runs the handler of
the form posted and, as before, answers a success with a 303 to a GET (post/redirect/get), a
refusal that redirects with its redirect, and a validation failure with the page re-rendered
(422) holding what was typed.

A page with more than one form tells them apart by one hidden field, ``form`` (``FIELD``),
inside each form::

    <input type="hidden" name="form" value="note">

and its view hands the POST to ``dispatch``::

    @bp.route("/students/<int:student_id>", methods=["GET", "POST"])
    def student_report(student_id):
        posted = dispatch(note=lambda: _add_note(student_id), share=lambda: _share(student_id))
        return posted or _report_page(student_id)

``dispatch`` answers None on a GET (the view shows the page); on a POST it runs the handler the
field names (each handler returns the view's answer), and a POST naming no form of the page —
from a page of an earlier version, or made by hand — is a 400. Pages with one form use the field
too (the pages converted so far do), so that a second form added later changes nothing.

The browser's Back button after a refusal: a page that answers a POST (the 422 re-render) is
still a POST entry in the history, whatever its address; pages are ``no-store``, so Chromium
cannot show it again from its cache and asks to resend the form (``ERR_CACHE_MISS``) when Back
or reload returns to it. The area layouts therefore turn the entry of a page that answers a POST
into a GET of the same address, with one line of script (the page's CSP nonce)::

    {% if request.method == "POST" %}<script nonce="{{ csp_nonce() }}">
    history.replaceState(history.state, "", location.href);</script>{% endif %}

Back and reload then load the page afresh (without what was typed); without script they still
ask to resend, as before.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, request
from flask.typing import ResponseReturnValue

FIELD = "form"


def posted_form() -> str:
    """The name of the page's form this request posts (``FIELD``); "" on a GET."""
    if request.method != "POST":
        return ""
    return str(request.form.get(FIELD, ""))


def dispatch(**handlers: Callable[[], ResponseReturnValue]) -> ResponseReturnValue | None:
    """On a POST to a page, the answer of ``handlers[name]`` for the form ``name`` the POST names
    (400 when the page has no such form); None on a GET."""
    if request.method != "POST":
        return None
    handler = handlers.get(posted_form())
    if handler is None:
        abort(400)
    return handler()
