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
    (True, 'purchase', Target(kind=<TargetKind.GROUP: 'group'>, id='sales', otherwise=None, wait=None))
    >>> menu.apply(state, Dialog(id="d1")).chosen_group_id
    'sales'

Menus load from plain data (:meth:`Menu.from_dict`, e.g. a TOML table) with path-named
problems (``menu.choices[1].next.topic: must be a string``) and write it back
(:meth:`Menu.to_dict`).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from ._frozen import EMPTY_MAP, FrozenMap, non_empty_str, to_deep_map, to_enum, to_frozenset, to_tuple
from ._menu_tree import (
    Answer,
    Choice,
    Handover,
    Leaf,
    Node,
    Question,
    duplicate_ids,
    node_to_dict,
    optional_target,
    read_root,
    walk,
)
from .errors import ChatrouteError, ConfigError, InvalidValue, UnknownId
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
    target: Target | None = attrs.field(default=None, validator=optional_target)

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
        nodes = FrozenMap((node.id, node) for _, node in walk(self.root, "menu"))
        object.__setattr__(self, "_nodes", nodes)

    def problems(self, path: str = "menu") -> list[tuple[str, str]]:
        """Structural problems as ``(path, message)`` pairs: duplicate node ids."""
        return duplicate_ids(self.root, path)

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
        return node_to_dict(self.root)

    @classmethod
    def from_dict(cls, data: Any, *, path: str = "menu") -> Menu:
        """Load a menu from plain data: the root question's table.

        Each node has a ``kind`` (``question``, ``answer`` or ``handover``) and an ``id``;
        a question has ``text`` and ``choices`` (``key``, ``label``, ``next`` and optional
        ``topic``, ``tags``, ``attributes``); an answer has ``text``; a handover has
        optional ``text``, ``topic``, ``tags``, ``target`` (``{group = "sales"}``,
        ``{operator = "ann"}``, ``"everyone"`` or ``"preferred"``) and ``attributes``.

        Args:
            data: the root question as a mapping.
            path: the name problems start with (where the menu sits in the host's file).

        Raises:
            ConfigError: listing every problem with its path, e.g.
                ``menu.choices[1].next.topic: must be a string``.
        """
        return cls(root=read_root(data, path))


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
