"""Self-service menu (Chat2Desk): a tree of questions that answers or routes before an operator joins.

A :class:`Menu` is a tree of :class:`Question` nodes whose :class:`Choice` items lead to
further questions or to a leaf: an :class:`Answer` resolves the dialog without an
operator, a :class:`Handover` passes it to one with what the menu learned (topic, tags,
attributes, and where it should go). A session is an immutable :class:`MenuState`;
:meth:`Menu.step` walks it one choice at a time:

    >>> menu = Menu(root=Question(id="start", text="How can we help?", choices=[
    ...     Choice(key="1", label="Where is my order?", next=Answer(id="status", text="Track it at /track")),
    ...     Choice(key="2", label="Talk to sales", next=Handover(
    ...         id="sales", topic="purchase", target=Target.group("sales"))),
    ... ]))
    >>> print(menu.reply(menu.start()))
    How can we help?
    1 - Where is my order?
    2 - Talk to sales
    >>> state = menu.step(menu.start(), "2")
    >>> state.handover, state.topic, state.target
    (True, 'purchase', Target(kind=<TargetKind.GROUP: 'group'>, id='sales', otherwise=None))
    >>> menu.apply(state, Dialog(id="d1")).chosen_group_id
    'sales'

Menus load from plain data (:meth:`Menu.from_dict`, e.g. a TOML table) with path-named
problems (``menu.choices[1].next.topic: must be a string``) and write it back
(:meth:`Menu.to_dict`).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, TypeAlias, TypeVar

import attrs

from ._frozen import (
    EMPTY_MAP,
    FrozenMap,
    non_empty_str,
    thaw_value,
    to_deep_map,
    to_enum,
    to_frozenset,
    to_tuple,
)
from .errors import ChatrouteError, ConfigError, InvalidValue, UnknownId, did_you_mean
from .model import Dialog, Target, TargetKind
from .rules import Rule, attr

__all__ = [
    "NODE_ATTRIBUTE",
    "PATH_ATTRIBUTE",
    "Answer",
    "Choice",
    "Handover",
    "Menu",
    "MenuFinished",
    "MenuOutcome",
    "MenuState",
    "Question",
    "UnknownChoice",
    "UnknownNode",
]

T = TypeVar("T")

#: The dialog attribute :meth:`Menu.apply` sets to the id of the node the session ended on.
NODE_ATTRIBUTE = "menu_node"
#: The dialog attribute :meth:`Menu.apply` sets to the list of choice keys the client took.
PATH_ATTRIBUTE = "menu_path"


# ----------------------------------------------------------------------------- errors


class UnknownChoice(InvalidValue):
    """A choice the current question does not offer.

    Attributes:
        choice: the choice as given.
        node_id: the question it was given to.
        valid: the keys the question offers.
    """

    def __init__(self, choice: object, node_id: str, valid: Sequence[str]) -> None:
        self.choice = choice
        self.node_id = node_id
        self.valid = tuple(valid)
        keys = ", ".join(repr(k) for k in self.valid)
        super().__init__(
            "choice", choice, f"question {node_id!r} offers no such choice; choose one of {keys}"
        )


class MenuFinished(ChatrouteError, ValueError):
    """A step on a session that has already ended in an answer or a handover.

    Attributes:
        node_id: the leaf the session ended on.
        outcome: how it ended.
    """

    def __init__(self, node_id: str, outcome: MenuOutcome) -> None:
        self.node_id = node_id
        self.outcome = outcome
        super().__init__(f"the menu session already ended at {node_id!r} ({outcome.value}); start a new one")


class UnknownNode(UnknownId):
    """A state that names a node this menu does not have (a state from another menu)."""

    kind = "menu node"


# ------------------------------------------------------------------------------ nodes


def _optional_str(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and (not isinstance(value, str) or not value):
        raise InvalidValue(attribute.name, value, "must be a non-empty string or None")


def _tag_set(instance: object, attribute: attrs.Attribute[Any], value: frozenset[Any]) -> None:
    for tag in value:
        if not isinstance(tag, str) or not tag:
            raise InvalidValue(attribute.name, tag, "tags must be non-empty strings")


def _optional_target(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
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
    target: Target | None = attrs.field(default=None, validator=_optional_target)
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


# ------------------------------------------------------------------------------ state


class MenuOutcome(enum.Enum):
    """Where a menu session stands."""

    OPEN = "open"  # waiting for the client's next choice
    ANSWERED = "answered"  # ended in an Answer: resolved without an operator
    HANDED_OVER = "handed_over"  # ended in a Handover: an operator takes over


def _to_outcome(value: Any) -> MenuOutcome:
    return to_enum(MenuOutcome, value, "outcome")


@attrs.frozen(kw_only=True)
class MenuState:
    """One client's walk through a menu; :meth:`Menu.step` returns the next state.

    Small and plain so a host can persist it between messages
    (``chatroute.serialize.to_dict(state)``).

    Attributes:
        node_id: the node the client is at (the leaf, once finished).
        path: the keys of the choices taken so far.
        outcome: open, answered or handed over.
        topic / tags / attributes: what the menu learned so far.
        target: where the handover sends the dialog, once handed over.
    """

    node_id: str = attrs.field(validator=non_empty_str)
    path: tuple[str, ...] = attrs.field(default=(), converter=to_tuple)
    outcome: MenuOutcome = attrs.field(default=MenuOutcome.OPEN, converter=_to_outcome)
    topic: str | None = None
    tags: frozenset[str] = attrs.field(default=frozenset(), converter=to_frozenset)
    attributes: Mapping[str, Any] = attrs.field(default=EMPTY_MAP, converter=to_deep_map)
    target: Target | None = attrs.field(default=None, validator=_optional_target)

    @property
    def finished(self) -> bool:
        """Whether the session ended (in an answer or a handover)."""
        return self.outcome is not MenuOutcome.OPEN

    @property
    def resolved(self) -> bool:
        """Whether the menu answered the client without an operator."""
        return self.outcome is MenuOutcome.ANSWERED

    @property
    def handover(self) -> bool:
        """Whether the session ended by handing the dialog to an operator."""
        return self.outcome is MenuOutcome.HANDED_OVER


# ------------------------------------------------------------------------------- menu


def _root(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, Question):
        raise InvalidValue(attribute.name, value, "the root of a menu must be a Question")


def _walk(node: Node, path: str) -> Iterator[tuple[str, Node]]:
    """Every node of the tree with its path, depth first, in choice order."""
    yield path, node
    if isinstance(node, Question):
        for i, choice in enumerate(node.choices):
            yield from _walk(choice.next, f"{path}.choices[{i}].next")


def _duplicate_ids(root: Question, path: str) -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    found = []
    for where, node in _walk(root, path):
        if node.id in seen:
            found.append((f"{where}.id", f"duplicate node id {node.id!r} (first at {seen[node.id]})"))
        else:
            seen[node.id] = where
    return found


@attrs.frozen(kw_only=True)
class Menu:
    """A self-service menu: a tree of questions ending in answers and handovers.

    Node ids are unique across the tree, so a :class:`MenuState` can name where it is.

    Raises:
        ConfigError: two nodes share an id (the problem's path names the second).
    """

    root: Question = attrs.field(validator=_root)
    _nodes: Mapping[str, Node] = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        problems = self.problems()
        if problems:
            raise ConfigError(problems)
        nodes = FrozenMap((node.id, node) for _, node in _walk(self.root, "menu"))
        object.__setattr__(self, "_nodes", nodes)

    def problems(self, path: str = "menu") -> list[tuple[str, str]]:
        """Structural problems as ``(path, message)`` pairs: duplicate node ids."""
        return _duplicate_ids(self.root, path)

    # ---------------------------------------------------------------- the tree

    def nodes(self) -> tuple[Node, ...]:
        """Every node, depth first in choice order, the root first."""
        return tuple(self._nodes.values())

    def leaves(self) -> tuple[Leaf, ...]:
        """Every answer and handover, depth first in choice order."""
        return tuple(node for node in self._nodes.values() if not isinstance(node, Question))

    def node(self, node_id: str) -> Node:
        """The node with this id.

        Raises:
            UnknownNode: the menu has no such node.
        """
        found = self._nodes.get(node_id)
        if found is None:
            raise UnknownNode(node_id, field="node_id")
        node: Node = found
        return node

    # ---------------------------------------------------------------- sessions

    def start(self) -> MenuState:
        """A new session, at the root question."""
        return MenuState(node_id=self.root.id)

    def step(self, state: MenuState, choice: str) -> MenuState:
        """The session after the client picks ``choice`` (a key, or a label ignoring case).

        Raises:
            UnknownChoice: the current question offers no such choice; names the valid keys.
            MenuFinished: the session has already ended.
            UnknownNode: the state belongs to another menu.
            InvalidValue: ``state`` is not a MenuState or ``choice`` not a string.
        """
        node = self._current(state)
        if not isinstance(node, Question):
            raise MenuFinished(state.node_id, state.outcome)
        if not isinstance(choice, str):
            raise InvalidValue("choice", choice, "must be a string")
        picked = node.find(choice)
        if picked is None:
            raise UnknownChoice(choice, node.id, node.keys)
        return _advance(state, picked)

    def back(self, state: MenuState) -> MenuState:
        """The session one choice earlier (the root stays at the root); reopens a finished one.

        What the menu learned is recomputed from the shorter path.
        """
        self._current(state)
        return self.replay(state.path[:-1])

    def replay(self, path: Iterable[str]) -> MenuState:
        """The session after taking the choices in ``path`` from the start.

        A host may persist only the path and rebuild the state with this.

        Raises:
            UnknownChoice, MenuFinished: as :meth:`step`, at the first bad choice.
        """
        state = self.start()
        for choice in path:
            state = self.step(state, choice)
        return state

    def reply(self, state: MenuState) -> str | None:
        """What the bot says at this state: the question with its choices, the answer, or
        the handover's text (None when a handover has nothing to say)."""
        node = self._current(state)
        if isinstance(node, Question):
            return node.prompt()
        return node.text

    def apply(self, state: MenuState, dialog: Dialog, *, record: bool = True) -> Dialog:
        """The dialog with what the menu learned, ready for :meth:`Router.route`.

        Sets the learned topic (if any), adds the learned tags and attributes, and, when
        the handover's target is a group, sets ``chosen_group_id`` so the router sends it
        there (the group's filters still apply). With ``record``, the attributes
        :data:`NODE_ATTRIBUTE` (the node the session ended on) and :data:`PATH_ATTRIBUTE`
        (the keys taken) tell the operator what the client already went through.

        Any other target (an operator, everyone, the preferred operator) has no field on
        a dialog: prepend :meth:`rules` to the config's rules, which match on
        :data:`NODE_ATTRIBUTE`, or read ``state.target`` and route it yourself.

        Raises:
            InvalidValue: ``dialog`` is not a Dialog or ``state`` not a MenuState.
            UnknownNode: the state belongs to another menu.
        """
        self._current(state)
        if not isinstance(dialog, Dialog):
            raise InvalidValue("dialog", dialog, "must be a Dialog")
        attributes = {**dialog.attributes, **state.attributes}
        if record:
            attributes[NODE_ATTRIBUTE] = state.node_id
            attributes[PATH_ATTRIBUTE] = list(state.path)
        target = state.target
        group = target.id if target is not None and target.kind is TargetKind.GROUP else None
        return attrs.evolve(
            dialog,
            topic=state.topic if state.topic is not None else dialog.topic,
            tags=dialog.tags | state.tags,
            attributes=attributes,
            chosen_group_id=group if group is not None else dialog.chosen_group_id,
        )

    def rules(self) -> tuple[Rule, ...]:
        """Rules that route handovers whose target is not a group, in tree order.

        Each matches ``attr(NODE_ATTRIBUTE) == handover.id`` (set by :meth:`apply`) and
        sends the dialog to the handover's target; prepend them to the config's rules.
        """
        return tuple(
            Rule(name=f"menu {leaf.id}", when=attr(NODE_ATTRIBUTE) == leaf.id, to=leaf.target)
            for leaf in self.leaves()
            if isinstance(leaf, Handover)
            and leaf.target is not None
            and leaf.target.kind is not TargetKind.GROUP
        )

    def _current(self, state: MenuState) -> Node:
        if not isinstance(state, MenuState):
            raise InvalidValue("state", state, "must be a MenuState")
        return self.node(state.node_id)

    # ------------------------------------------------------------ plain data

    def to_dict(self) -> dict[str, Any]:
        """The menu as plain, JSON- and TOML-able data (empty fields left out).

        ``Menu.from_dict(menu.to_dict()) == menu``.
        """
        return _node_to_dict(self.root)

    @classmethod
    def from_dict(cls, data: Any, *, path: str = "menu") -> Menu:
        """Load a menu from plain data: the root question's table.

        Each node has a ``kind`` (``question``, ``answer`` or ``handover``) and an ``id``;
        a question has ``text`` and ``choices`` (``key``, ``label``, ``next`` and optional
        ``topic``, ``tags``, ``attributes``); an answer has ``text``; a handover has
        optional ``text``, ``topic``, ``tags``, ``target`` (``{kind = "group", id =
        "sales"}``) and ``attributes``.

        Args:
            data: the root question as a mapping.
            path: the name problems start with (where the menu sits in the host's file).

        Raises:
            ConfigError: listing every problem with its path, e.g.
                ``menu.choices[1].next.topic: must be a string``.
        """
        reader = _Reader()
        root = reader.node(data, path)
        if root is not None and not isinstance(root, Question):
            reader.problem(f"{path}.kind", "the root of a menu must be a question")
        if reader.problems or root is None or not isinstance(root, Question):
            raise ConfigError(reader.problems or [(path, "invalid menu")])
        problems = _duplicate_ids(root, path)
        if problems:
            raise ConfigError(problems)
        return cls(root=root)


def _advance(state: MenuState, choice: Choice) -> MenuState:
    """The state after taking ``choice`` (already known to be offered)."""
    node = choice.next
    topic = choice.topic if choice.topic is not None else state.topic
    tags = state.tags | choice.tags
    attributes = {**state.attributes, **choice.attributes}
    outcome = MenuOutcome.OPEN
    target = None
    if isinstance(node, Answer):
        outcome = MenuOutcome.ANSWERED
    elif isinstance(node, Handover):
        outcome = MenuOutcome.HANDED_OVER
        topic = node.topic if node.topic is not None else topic
        tags |= node.tags
        attributes.update(node.attributes)
        target = node.target
    return MenuState(
        node_id=node.id,
        path=(*state.path, choice.key),
        outcome=outcome,
        topic=topic,
        tags=tags,
        attributes=attributes,
        target=target,
    )


# ------------------------------------------------------------------ plain data helpers


def _learned_to_dict(data: dict[str, Any], value: Choice | Handover) -> None:
    if value.topic is not None:
        data["topic"] = value.topic
    if value.tags:
        data["tags"] = sorted(value.tags)
    if value.attributes:
        data["attributes"] = thaw_value(value.attributes)


def _target_to_dict(data: dict[str, Any]) -> dict[str, Any]:
    """A target's plain form without its None fields (TOML has no null)."""
    return {
        key: _target_to_dict(value) if isinstance(value, dict) else value
        for key, value in data.items()
        if value is not None
    }


def _node_to_dict(node: Node) -> dict[str, Any]:
    if isinstance(node, Answer):
        return {"kind": "answer", "id": node.id, "text": node.text}
    if isinstance(node, Handover):
        data: dict[str, Any] = {"kind": "handover", "id": node.id}
        if node.text is not None:
            data["text"] = node.text
        _learned_to_dict(data, node)
        if node.target is not None:
            from .serialize import to_dict

            data["target"] = _target_to_dict(to_dict(node.target))
        return data
    choices = []
    for choice in node.choices:
        item: dict[str, Any] = {"key": choice.key, "label": choice.label, "next": _node_to_dict(choice.next)}
        _learned_to_dict(item, choice)
        choices.append(item)
    return {"kind": "question", "id": node.id, "text": node.text, "choices": choices}


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
        from .serialize import from_dict

        try:
            return from_dict(Target, value)
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
