"""The tree of a self-service menu: its nodes, and their plain-data form.

:class:`Question`, :class:`Choice`, :class:`Answer` and :class:`Handover` are the
values a menu is built from, with their validators; :func:`walk` visits a tree and
:func:`duplicate_ids` finds the node ids it repeats. :func:`node_to_dict` writes a
tree as plain data and :func:`read_root` reads one back (a dict or a TOML table),
collecting every problem with its path (``menu.choices[1].next.topic: must be a
string``). ``chatroute.menu`` re-exports the node classes and builds sessions on them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, TypeAlias, TypeVar

import attrs

from ._config_form import read_target, write_target
from ._frozen import EMPTY_MAP, FrozenMap, non_empty_str, thaw_value, to_deep_map, to_frozenset, to_tuple
from .errors import ConfigError, InvalidValue, did_you_mean
from .model import Target

__all__ = [
    "Answer",
    "Choice",
    "Handover",
    "Leaf",
    "Node",
    "Question",
    "duplicate_ids",
    "node_to_dict",
    "optional_target",
    "read_root",
    "walk",
]

T = TypeVar("T")


# ------------------------------------------------------------------------------ nodes


def _optional_str(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and (not isinstance(value, str) or not value):
        raise InvalidValue(attribute.name, value, "must be a non-empty string or None")


def _tag_set(instance: object, attribute: attrs.Attribute[Any], value: frozenset[Any]) -> None:
    for tag in value:
        if not isinstance(tag, str) or not tag:
            raise InvalidValue(attribute.name, tag, "tags must be non-empty strings")


def optional_target(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and not isinstance(value, Target):
        raise InvalidValue(attribute.name, value, "must be a Target or None")


def _to_attributes(value: Mapping[str, Any] | None) -> FrozenMap[str, Any]:
    if value is not None and not isinstance(value, Mapping):
        raise InvalidValue("attributes", value, "must be a mapping")
    return to_deep_map(value)


@attrs.frozen(kw_only=True)
class Answer:
    """A leaf that answers the client: the menu resolved the dialog without an operator.

    Attributes:
        id: unique node id within the menu.
        text: what the bot says.
    """

    id: str = attrs.field(validator=non_empty_str)
    text: str = attrs.field(validator=non_empty_str)


@attrs.frozen(kw_only=True)
class Handover:
    """A leaf that hands the dialog to an operator with what the menu learned.

    Attributes:
        id: unique node id within the menu.
        text: what the bot says before an operator joins, if anything.
        topic: the dialog's topic; overrides a topic learned on the way.
        tags: tags added to the dialog.
        target: where the dialog should go; None leaves it to the routing rules.
        attributes: data added to the dialog's attributes.
    """

    id: str = attrs.field(validator=non_empty_str)
    text: str | None = attrs.field(default=None, validator=_optional_str)
    topic: str | None = attrs.field(default=None, validator=_optional_str)
    tags: frozenset[str] = attrs.field(default=frozenset(), converter=to_frozenset, validator=_tag_set)
    target: Target | None = attrs.field(default=None, validator=optional_target)
    attributes: Mapping[str, Any] = attrs.field(default=EMPTY_MAP, converter=_to_attributes)


def _next_node(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, Question | Answer | Handover):
        raise InvalidValue(attribute.name, value, "must be a Question, Answer or Handover")


@attrs.frozen(kw_only=True)
class Choice:
    """One item of a question: what the client presses, and where it leads.

    A choice may also teach the menu something on the way (``topic``, ``tags``,
    ``attributes``), which a later :class:`Handover` passes on to the dialog.

    Attributes:
        key: what the client sends to pick it (``"1"``).
        label: what the menu shows; the client may also send the label itself.
        next: the node the choice leads to.
        topic / tags / attributes: what picking it tells about the dialog.
    """

    key: str = attrs.field(validator=non_empty_str)
    label: str = attrs.field(validator=non_empty_str)
    next: Node = attrs.field(validator=_next_node)
    topic: str | None = attrs.field(default=None, validator=_optional_str)
    tags: frozenset[str] = attrs.field(default=frozenset(), converter=to_frozenset, validator=_tag_set)
    attributes: Mapping[str, Any] = attrs.field(default=EMPTY_MAP, converter=_to_attributes)


def _choices(instance: object, attribute: attrs.Attribute[Any], value: tuple[Any, ...]) -> None:
    if not value:
        raise InvalidValue(attribute.name, value, "a question needs at least one choice")
    keys: set[str] = set()
    labels: set[str] = set()
    for i, item in enumerate(value):
        if not isinstance(item, Choice):
            raise InvalidValue(f"choices[{i}]", item, "must be a Choice")
        if item.key != item.key.strip():
            raise InvalidValue(f"choices[{i}].key", item.key, "must not start or end with spaces")
        if item.key in keys:
            raise InvalidValue(f"choices[{i}].key", item.key, "is offered twice in this question")
        if item.label.casefold() in labels:
            raise InvalidValue(f"choices[{i}].label", item.label, "is offered twice in this question")
        keys.add(item.key)
        labels.add(item.label.casefold())


@attrs.frozen(kw_only=True)
class Question:
    """A node that asks the client to pick one of its choices.

    Attributes:
        id: unique node id within the menu.
        text: the question.
        choices: at least one; keys and labels (ignoring case) are unique within the question.
    """

    id: str = attrs.field(validator=non_empty_str)
    text: str = attrs.field(validator=non_empty_str)
    choices: tuple[Choice, ...] = attrs.field(converter=to_tuple, validator=_choices)

    @property
    def keys(self) -> tuple[str, ...]:
        """The keys the question offers, in order."""
        return tuple(c.key for c in self.choices)

    def find(self, choice: str) -> Choice | None:
        """The choice whose key is ``choice`` (spaces ignored), else whose label it is (case ignored)."""
        wanted = choice.strip()
        for item in self.choices:
            if item.key == wanted:
                return item
        folded = wanted.casefold()
        return next((item for item in self.choices if item.label.casefold() == folded), None)

    def prompt(self) -> str:
        """The question followed by one ``key - label`` line per choice."""
        return "\n".join([self.text, *(f"{c.key} - {c.label}" for c in self.choices)])


Node: TypeAlias = Question | Answer | Handover
Leaf: TypeAlias = Answer | Handover


# ------------------------------------------------------------------------------- tree


def walk(node: Node, path: str) -> Iterator[tuple[str, Node]]:
    """Every node of the tree with its path, depth first, in choice order."""
    yield path, node
    if isinstance(node, Question):
        for i, choice in enumerate(node.choices):
            yield from walk(choice.next, f"{path}.choices[{i}].next")


def duplicate_ids(root: Question, path: str) -> list[tuple[str, str]]:
    """Each repeated node id as a ``(path, message)`` problem naming where it first appeared."""
    seen: dict[str, str] = {}
    found = []
    for where, node in walk(root, path):
        if node.id in seen:
            found.append((f"{where}.id", f"duplicate node id {node.id!r} (first at {seen[node.id]})"))
        else:
            seen[node.id] = where
    return found


# -------------------------------------------------------------------------- plain data


def _learned_to_dict(data: dict[str, Any], value: Choice | Handover) -> None:
    if value.topic is not None:
        data["topic"] = value.topic
    if value.tags:
        data["tags"] = sorted(value.tags)
    if value.attributes:
        data["attributes"] = thaw_value(value.attributes)


def node_to_dict(node: Node) -> dict[str, Any]:
    """The node and everything under it as plain data (see :meth:`Menu.to_dict`)."""
    if isinstance(node, Answer):
        return {"kind": "answer", "id": node.id, "text": node.text}
    if isinstance(node, Handover):
        data: dict[str, Any] = {"kind": "handover", "id": node.id}
        if node.text is not None:
            data["text"] = node.text
        _learned_to_dict(data, node)
        if node.target is not None:
            data["target"] = write_target(node.target)
        return data
    choices = []
    for choice in node.choices:
        item: dict[str, Any] = {"key": choice.key, "label": choice.label, "next": node_to_dict(choice.next)}
        _learned_to_dict(item, choice)
        choices.append(item)
    return {"kind": "question", "id": node.id, "text": node.text, "choices": choices}


def read_root(data: Any, path: str) -> Question:
    """The root question of a menu read from plain data (see :meth:`Menu.from_dict`).

    Raises:
        ConfigError: listing every problem with its path, duplicate node ids included.
    """
    reader = _Reader()
    root = reader.node(data, path)
    if root is not None and not isinstance(root, Question):
        reader.problem(f"{path}.kind", "the root of a menu must be a question")
    if reader.problems or root is None or not isinstance(root, Question):
        raise ConfigError(reader.problems or [(path, "invalid menu")])
    problems = duplicate_ids(root, path)
    if problems:
        raise ConfigError(problems)
    return root


_KEYS = {
    "question": ("kind", "id", "text", "choices"),
    "answer": ("kind", "id", "text"),
    "handover": ("kind", "id", "text", "topic", "tags", "target", "attributes"),
    "choice": ("key", "label", "next", "topic", "tags", "attributes"),
}


class _Reader:
    """Reads a menu from plain data, collecting every problem with its path."""

    def __init__(self) -> None:
        self.problems: list[tuple[str, str]] = []

    def problem(self, path: str, message: str) -> None:
        self.problems.append((path, message))

    def table(self, data: Any, path: str, kind: str) -> bool:
        if not isinstance(data, Mapping):
            self.problem(path, "expected a table (a mapping of keys to values)")
            return False
        known = _KEYS[kind]
        for key in data:
            if key not in known:
                self.problem(f"{path}.{key}", "unknown key" + did_you_mean(str(key), known))
        return True

    def string(self, data: Mapping[str, Any], key: str, path: str, *, required: bool = True) -> str | None:
        if key not in data or (not required and data[key] is None):
            if required:
                self.problem(path, f"missing key {key!r}")
            return None
        value = data[key]
        if not isinstance(value, str):
            self.problem(f"{path}.{key}", f"must be a string (got {value!r})")
            return None
        if not value:
            self.problem(f"{path}.{key}", "must not be empty")
            return None
        return value

    def tags(self, data: Mapping[str, Any], path: str) -> list[str]:
        value = data.get("tags", [])
        if not isinstance(value, list | tuple):
            self.problem(f"{path}.tags", f"must be a list of strings (got {value!r})")
            return []
        good = []
        for i, tag in enumerate(value):
            if isinstance(tag, str) and tag:
                good.append(tag)
            else:
                self.problem(f"{path}.tags[{i}]", f"must be a non-empty string (got {tag!r})")
        return good

    def attributes(self, data: Mapping[str, Any], path: str) -> Mapping[str, Any]:
        value = data.get("attributes", {})
        if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
            self.problem(f"{path}.attributes", f"must be a table with string keys (got {value!r})")
            return {}
        return value

    def target(self, data: Mapping[str, Any], path: str) -> Target | None:
        value = data.get("target")
        if value is None:
            return None
        try:
            return read_target(value)
        except ConfigError as exc:
            for where, message in exc.problems:
                self.problem(f"{path}.target" + (f".{where}" if where else ""), message)
            return None

    def node(self, data: Any, path: str) -> Node | None:
        if not isinstance(data, Mapping):
            self.problem(path, "expected a table (a mapping of keys to values)")
            return None
        kind = data.get("kind")
        if kind not in ("question", "answer", "handover"):
            message = "missing key 'kind'" if "kind" not in data else f"unknown node kind {kind!r}"
            self.problem(f"{path}.kind", f"{message}: give 'question', 'answer' or 'handover'")
            return None
        if not self.table(data, path, kind):
            return None
        before = len(self.problems)
        node_id = self.string(data, "id", path)
        if kind == "question":
            return self._question(data, path, node_id, before)
        text = self.string(data, "text", path, required=kind == "answer")
        if kind == "answer":
            return self._build(Answer, path, before, id=node_id, text=text)
        return self._build(
            Handover,
            path,
            before,
            id=node_id,
            text=text,
            topic=self.string(data, "topic", path, required=False),
            tags=self.tags(data, path),
            target=self.target(data, path),
            attributes=self.attributes(data, path),
        )

    def _question(self, data: Mapping[str, Any], path: str, node_id: str | None, before: int) -> Node | None:
        text = self.string(data, "text", path)
        raw = data.get("choices")
        choices = []
        if not isinstance(raw, list | tuple) or not raw:
            self.problem(f"{path}.choices", "a question needs a non-empty list of choices")
        else:
            for i, item in enumerate(raw):
                choice = self._choice(item, f"{path}.choices[{i}]")
                if choice is not None:
                    choices.append(choice)
        return self._build(Question, path, before, id=node_id, text=text, choices=choices)

    def _choice(self, data: Any, path: str) -> Choice | None:
        if not self.table(data, path, "choice"):
            return None
        before = len(self.problems)
        key = self.string(data, "key", path)
        label = self.string(data, "label", path)
        if "next" not in data:
            self.problem(path, "missing key 'next'")
            target = None
        else:
            target = self.node(data["next"], f"{path}.next")
        return self._build(
            Choice,
            path,
            before,
            key=key,
            label=label,
            next=target,
            topic=self.string(data, "topic", path, required=False),
            tags=self.tags(data, path),
            attributes=self.attributes(data, path),
        )

    def _build(self, cls: type[T], path: str, before: int, **fields: Any) -> T | None:
        """Build a value once its fields are sound; report what its own validators refuse."""
        if len(self.problems) > before:
            return None
        try:
            return cls(**fields)
        except InvalidValue as exc:
            self.problem(f"{path}.{exc.field}", f"{exc.problem} (got {exc.value!r})")
            return None
