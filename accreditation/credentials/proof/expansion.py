"""A document's JSON-LD expansion and its RDF dataset, the two halves of canonicalizing it.

Expanding is most of the CPU of a signature, and the credentials of one kind share their
expansion but for their text: JSON-LD expansion looks at a string only where it is an IRI
(``@id``, a vocabulary term); any other string is copied into an ``@value`` unread. So a
document's *shape* (its keys, types, contexts, numbers and booleans, every other string
replaced by a numbered placeholder) is expanded once per process and kept; a document of that
shape is expanded by writing its strings back in. A string the shape's expansion put in an
``@id`` is written back only when it expands to itself wherever it stands (an absolute IRI
whose scheme no bundled context defines as a term); a placeholder found anywhere else (a
type, a key, inside a longer string) makes the shape one that is always expanded in full, as
is a document with an inline context or a keyword other than ``@context`` among its keys.
The tests compare both ways on every kind of document the tool signs.

RDF conversion then starts from the expanded document (pyld's ``normalize`` expanded it a
second time: expanded form is its own expansion)."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from typing import Any

from pyld.canon import URDNA2015
from pyld.identifier_issuer import IdentifierIssuer
from pyld.jsonld import JsonLdProcessor

from .loader import CONTEXT_FILES, bundled_context

_PLACEHOLDER = re.compile(r'"ccph([0-9]+)x"')
_MARK = "ccph"
# pyld's test of an absolute IRI (jsonld._is_absolute_iri)
_ABSOLUTE_IRI = re.compile(r"^([A-Za-z][A-Za-z0-9+-.]*|_):[^\s]*$")
_RDF_OPTIONS = {
    "produceGeneralizedRdf": False,
    "processingMode": "json-ld-1.1",
    "algorithm": "URDNA2015",
    "format": "application/n-quads",
}

Expander = Callable[[Any], Any]  # pyld's expand of a document, with the caller's options


class _Unfit(Exception):
    """A document (or shape) whose expansion is not kept."""


@functools.cache
def _terms() -> frozenset[str]:
    """Every key of every bundled context (a term, a keyword or a type-scoped term)."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            found.update(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for url in CONTEXT_FILES:
        walk(bundled_context(url))
    return frozenset(found)


def _bundled(contexts: Any) -> bool:
    items = contexts if isinstance(contexts, list) else [contexts]
    return all(isinstance(c, str) and c in CONTEXT_FILES for c in items)


def _shape(node: Any, strings: list[str]) -> Any:
    """``node`` with its strings (but types and contexts) replaced by placeholders."""
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "@context":
                if not _bundled(value):
                    raise _Unfit
                out[key] = value
            elif key.startswith("@") or _MARK in key:
                raise _Unfit
            elif key == "type":
                out[key] = value
            else:
                out[key] = _shape(value, strings)
        return out
    if isinstance(node, list):
        return [_shape(item, strings) for item in node]
    if isinstance(node, str):
        strings.append(node)
        return f"{_MARK}{len(strings) - 1}x"
    return node


def _slots(expanded: Any, iris: set[int]) -> None:
    """Check where the placeholders went: each one a whole ``@value`` or an ``@id`` (noted in
    ``iris``); anywhere else ``_Unfit``."""
    if isinstance(expanded, list):
        for item in expanded:
            _slots(item, iris)
        return
    if isinstance(expanded, str):
        if _MARK in expanded:
            raise _Unfit  # in a type, a list of IRIs or a longer string
        return
    if not isinstance(expanded, dict):
        return
    for key, value in expanded.items():
        if _MARK in key:
            raise _Unfit
        whole = isinstance(value, str) and _PLACEHOLDER.fullmatch(f'"{value}"')
        if whole and key == "@value":
            continue
        if whole and key == "@id":
            iris.add(int(whole.group(1)))
            continue
        _slots(value, iris)


@functools.lru_cache(maxsize=256)
def _template(shape: str, expand: Expander) -> tuple[str, frozenset[int]] | None:
    """The expansion of a shape (JSON, placeholders still in) and its placeholders that
    stand as ``@id``s; None when the shape's expansion cannot be reused."""
    expanded = expand(json.loads(shape))
    iris: set[int] = set()
    try:
        _slots(expanded, iris)
    except _Unfit:
        return None
    return json.dumps(expanded), frozenset(iris)


def _expands_to_itself(iri: str) -> bool:
    """Whether ``iri`` expands to itself as an ``@id`` or a vocabulary IRI in any of the
    bundled contexts (pyld's ``_expand_iri``)."""
    terms = _terms()
    if iri.startswith("@") or iri in terms:
        return False
    prefix, colon, suffix = iri.partition(":")
    if not colon or not prefix:
        return False
    if prefix == "_" or suffix.startswith("//"):
        return True
    return prefix not in terms and _ABSOLUTE_IRI.match(iri) is not None


def expand(document: Any, expand_in_full: Expander) -> Any:
    """The expansion of ``document``: written from its shape's kept expansion when it can be,
    else ``expand_in_full(document)``. ``expand_in_full`` is the key of the kept shapes with
    the shape itself: pass the same function (with the same options) each time."""
    strings: list[str] = []
    try:
        shape = json.dumps(_shape(document, strings))
    except _Unfit:
        return expand_in_full(document)
    if len(_PLACEHOLDER.findall(shape)) != len(strings):  # a type or context that looks like one
        return expand_in_full(document)
    try:
        kept = _template(shape, expand_in_full)
    except Exception:  # expanded in full below, which says what is wrong
        kept = None
    if kept is None:
        return expand_in_full(document)
    template, iris = kept
    if not all(_expands_to_itself(strings[i]) for i in iris):
        return expand_in_full(document)
    return json.loads(_PLACEHOLDER.sub(lambda m: json.dumps(strings[int(m.group(1))]), template))


def to_nquads(processor: JsonLdProcessor, expanded: Any) -> str:
    """The RDFC-1.0 (URDNA2015) canonical N-Quads of an expanded document (pyld's ``to_rdf``
    and ``normalize`` without their second expansion)."""
    issuer = IdentifierIssuer("_:b")
    node_map: dict[str, Any] = {"@default": {}}
    processor._create_node_map(expanded, node_map, "@default", issuer)
    dataset = {}
    for graph_name, graph in sorted(node_map.items()):
        if graph_name == "@default" or _ABSOLUTE_IRI.match(graph_name):
            dataset[graph_name] = processor._graph_to_rdf(graph, issuer, _RDF_OPTIONS)
    nquads: str = URDNA2015().main(dataset, dict(_RDF_OPTIONS))
    return nquads
