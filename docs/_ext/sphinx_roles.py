"""A griffe extension for the reference pages: Sphinx roles in docstrings become links.

The docstrings are Google style but name other objects with Sphinx roles
(``:class:`RoutingConfig```), which mkdocstrings would print as they are. This turns
each role into a cross-reference when the name resolves to a public object in the
documented modules, and into inline code otherwise.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

ROLE = re.compile(r":(?:class|meth|func|attr|data|mod|exc|obj):`~?([^`<>]+)`")


class SphinxRoles(griffe.Extension):
    """Rewrite ``:role:`name``` in every docstring once the object tree is complete."""

    def on_object(self, *, obj: griffe.Object, loader: griffe.GriffeLoader, **kwargs: Any) -> None:
        if obj.docstring is None or ":" not in obj.docstring.value:
            return
        obj.docstring.value = ROLE.sub(lambda match: _reference(match[1], obj, loader), obj.docstring.value)


def _reference(name: str, obj: griffe.Object, loader: griffe.GriffeLoader) -> str:
    """``[`name`][path]`` when ``name`` resolves to a public documented object, else ``` `name` ```."""
    shown = name.rsplit(".", 1)[-1] if name.startswith("chatroute.") else name
    path = _resolve(name, obj, loader)
    if path is None or not path.startswith("chatroute.") or not _public(path):
        return f"`{shown}`"
    return f"[`{shown}`][{path}]"


def _resolve(name: str, obj: griffe.Object, loader: griffe.GriffeLoader) -> str | None:
    """The canonical path of ``name`` as seen from ``obj`` (its class, its module, or absolute),
    when that object is rendered on a reference page."""
    scopes = [scope for scope in (obj if obj.is_class else obj.parent, obj.module) if scope is not None]
    candidates = [f"{scope.path}.{name}" for scope in scopes] + [name, f"chatroute.{name}"]
    for candidate in candidates:
        try:
            found = loader.modules_collection[candidate]
        except (KeyError, griffe.AliasResolutionError, griffe.CyclicAliasError):
            continue
        try:
            target = found.final_target if found.is_alias else found
        except (griffe.AliasResolutionError, griffe.CyclicAliasError):
            return None
        # only objects with a docstring get a heading (and an anchor) on the reference pages
        if target.docstring is None:
            return None
        # an object defined in a private module (a re-export, or a method a public class
        # inherits from a private mixin) is rendered, and linked, under its public name
        path = str(target.path)
        return candidate if not _public(path) and _public(candidate) else path
    return None


def _public(path: str) -> bool:
    return not any(part.startswith("_") for part in path.split("."))
