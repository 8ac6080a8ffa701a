"""Self-service menu (Chat2Desk): the tree values, walking sessions, applying them to dialogs, plain data."""

from __future__ import annotations

import json
import tomllib
from datetime import UTC, datetime
from typing import Any

import attrs
import pytest
import tomli_w
from hypothesis import given
from hypothesis import strategies as st

from chatroute import ChatrouteError, ConfigError, Dialog, InvalidValue, Target, UnknownId
from chatroute.menu import (
    NODE_ATTRIBUTE,
    PATH_ATTRIBUTE,
    Answer,
    Choice,
    Handover,
    Menu,
    MenuFinished,
    MenuOutcome,
    MenuState,
    Question,
    UnknownChoice,
    UnknownNode,
)
from chatroute.rules import AttrCompare, Op, RuleContext
from chatroute.serialize import from_dict, to_dict
from chatroute.stats import MenuStats


def shop_menu() -> Menu:
    """A small shop bot: delivery questions, a manager handover, and a complaint line to one operator."""
    return Menu(
        root=Question(
            id="start",
            text="Hello! What is your question about?",
            choices=[
                Choice(
                    key="1",
                    label="Delivery",
                    topic="delivery",
                    tags={"delivery"},
                    next=Question(
                        id="delivery",
                        text="Delivery: what would you like to know?",
                        choices=[
                            Choice(
                                key="1", label="Order status", next=Answer(id="status", text="See /track")
                            ),
                            Choice(
                                key="2",
                                label="Change the address",
                                attributes={"intent": "address"},
                                next=Handover(
                                    id="courier",
                                    text="A courier desk operator will join.",
                                    tags={"address"},
                                    target=Target.group("logistics"),
                                ),
                            ),
                        ],
                    ),
                ),
                Choice(
                    key="2",
                    label="Talk to a manager",
                    next=Handover(
                        id="manager",
                        topic="purchase",
                        tags={"lead"},
                        target=Target.group("sales"),
                        attributes={"source": "menu"},
                    ),
                ),
                Choice(
                    key="3",
                    label="Complaint",
                    next=Handover(id="complaint", topic="complaint", target=Target.operator("olga")),
                ),
                Choice(key="4", label="Opening hours", next=Answer(id="hours", text="Daily 9-21")),
            ],
        )
    )


# ------------------------------------------------------------------------- values


def test_a_question_needs_at_least_one_choice() -> None:
    """A question without choices is refused, naming the field."""
    with pytest.raises(InvalidValue) as caught:
        Question(id="q", text="?", choices=[])
    assert caught.value.field == "choices"


def test_keys_and_labels_are_unique_within_a_question() -> None:
    """Two choices with one key, or labels equal ignoring case, are refused with the index of the second."""
    leaf = Answer(id="a", text="ok")
    with pytest.raises(InvalidValue) as by_key:
        Question(id="q", text="?", choices=[Choice(key="1", label="A", next=leaf)] * 2)
    assert by_key.value.field == "choices[1].key"
    with pytest.raises(InvalidValue) as by_label:
        Question(
            id="q",
            text="?",
            choices=[Choice(key="1", label="Sales", next=leaf), Choice(key="2", label="SALES", next=leaf)],
        )
    assert by_label.value.field == "choices[1].label"


def test_a_key_with_surrounding_spaces_is_refused() -> None:
    """A key the client could never type exactly (" 1") is refused."""
    with pytest.raises(InvalidValue, match="spaces"):
        Question(id="q", text="?", choices=[Choice(key=" 1", label="A", next=Answer(id="a", text="x"))])


def test_a_choice_must_lead_to_a_node() -> None:
    """A choice whose next is not a question, answer or handover is refused."""
    with pytest.raises(InvalidValue) as caught:
        Choice(key="1", label="A", next="start")  # type: ignore[arg-type]
    assert caught.value.field == "next"


def test_handover_fields_are_checked_and_frozen() -> None:
    """A handover refuses an empty topic and a non-target, and keeps tags and attributes immutable."""
    with pytest.raises(InvalidValue):
        Handover(id="h", topic="")
    with pytest.raises(InvalidValue):
        Handover(id="h", target="sales")  # type: ignore[arg-type]
    handover = Handover(id="h", tags=["a", "b"], attributes={"items": [1, 2]})
    assert handover.tags == frozenset({"a", "b"})
    assert handover.attributes["items"] == (1, 2)
    assert hash(handover) == hash(Handover(id="h", tags={"b", "a"}, attributes={"items": (1, 2)}))


def test_the_root_must_be_a_question() -> None:
    """A menu whose root is a leaf is refused."""
    with pytest.raises(InvalidValue) as caught:
        Menu(root=Answer(id="a", text="x"))  # type: ignore[arg-type]
    assert caught.value.field == "root"


def test_duplicate_node_ids_are_a_config_error_naming_both_places() -> None:
    """Two nodes with one id make the menu invalid; the problem names the second and points at the first."""
    with pytest.raises(ConfigError) as caught:
        Menu(
            root=Question(
                id="start",
                text="?",
                choices=[
                    Choice(key="1", label="A", next=Answer(id="same", text="x")),
                    Choice(key="2", label="B", next=Answer(id="same", text="y")),
                ],
            )
        )
    assert caught.value.problems == (
        ("menu.choices[1].next.id", "duplicate node id 'same' (first at menu.choices[0].next)"),
    )


def test_nodes_and_leaves_are_listed_depth_first() -> None:
    """The menu lists its nodes root first, depth first in choice order, and finds them by id."""
    menu = shop_menu()
    assert [n.id for n in menu.nodes()] == [
        "start",
        "delivery",
        "status",
        "courier",
        "manager",
        "complaint",
        "hours",
    ]
    assert [n.id for n in menu.leaves()] == ["status", "courier", "manager", "complaint", "hours"]
    assert menu.node("hours") == Answer(id="hours", text="Daily 9-21")
    with pytest.raises(UnknownNode) as caught:
        menu.node("nope")
    assert isinstance(caught.value, UnknownId)
    assert caught.value.id == "nope"


# ------------------------------------------------------------------------ walking


def test_a_session_starts_open_at_the_root() -> None:
    """start() is an open state at the root with nothing learned."""
    state = shop_menu().start()
    assert state == MenuState(node_id="start")
    assert (state.finished, state.resolved, state.handover) == (False, False, False)
    assert state.path == ()
    assert state.target is None


def test_an_answer_resolves_the_session_without_an_operator() -> None:
    """Choosing delivery then order status ends in the status answer: resolved, not handed over."""
    menu = shop_menu()
    state = menu.step(menu.step(menu.start(), "1"), "1")
    assert state.node_id == "status"
    assert state.outcome is MenuOutcome.ANSWERED
    assert (state.finished, state.resolved, state.handover) == (True, True, False)
    assert state.path == ("1", "1")
    assert state.topic == "delivery"
    assert menu.reply(state) == "See /track"


def test_a_handover_carries_what_the_menu_learned() -> None:
    """Learning accumulates along the path: the choice's topic and tags, then the leaf's tags and target."""
    menu = shop_menu()
    state = menu.replay(["1", "2"])
    assert state.outcome is MenuOutcome.HANDED_OVER
    assert (state.handover, state.resolved) == (True, False)
    assert state.topic == "delivery"
    assert state.tags == frozenset({"delivery", "address"})
    assert dict(state.attributes) == {"intent": "address"}
    assert state.target == Target.group("logistics")
    assert menu.reply(state) == "A courier desk operator will join."


def test_a_handover_topic_overrides_a_learned_one() -> None:
    """A handover's own topic replaces what a choice taught, and a handover without text says nothing."""
    menu = Menu(
        root=Question(
            id="q",
            text="?",
            choices=[Choice(key="1", label="A", topic="early", next=Handover(id="h", topic="late"))],
        )
    )
    state = menu.step(menu.start(), "1")
    assert state.topic == "late"
    assert menu.reply(state) is None


def test_a_choice_may_be_given_by_label_ignoring_case_and_spaces() -> None:
    """The client may type the label instead of the key; surrounding spaces are ignored."""
    menu = shop_menu()
    assert menu.step(menu.start(), "  talk to a MANAGER ").node_id == "manager"
    assert menu.step(menu.start(), " 4 ").node_id == "hours"


def test_an_unknown_choice_names_the_choice_and_the_valid_keys() -> None:
    """A choice the question does not offer raises UnknownChoice, a ValueError naming what is valid."""
    menu = shop_menu()
    with pytest.raises(UnknownChoice) as caught:
        menu.step(menu.start(), "9")
    error = caught.value
    assert isinstance(error, InvalidValue | ValueError | ChatrouteError)
    assert (error.choice, error.node_id, error.valid) == ("9", "start", ("1", "2", "3", "4"))
    assert str(error) == (
        "choice: question 'start' offers no such choice; choose one of '1', '2', '3', '4' (got '9')"
    )


def test_stepping_a_finished_session_raises() -> None:
    """A session that ended cannot take another step; the error names where it ended."""
    menu = shop_menu()
    state = menu.replay(["4"])
    with pytest.raises(MenuFinished) as caught:
        menu.step(state, "1")
    assert isinstance(caught.value, ChatrouteError | ValueError)
    assert (caught.value.node_id, caught.value.outcome) == ("hours", MenuOutcome.ANSWERED)


def test_a_state_from_another_menu_is_refused() -> None:
    """A state naming a node this menu lacks raises UnknownNode; a non-state raises InvalidValue."""
    menu = shop_menu()
    with pytest.raises(UnknownNode):
        menu.step(MenuState(node_id="elsewhere"), "1")
    with pytest.raises(InvalidValue):
        menu.step("start", "1")  # type: ignore[arg-type]
    with pytest.raises(InvalidValue):
        menu.step(menu.start(), 1)  # type: ignore[arg-type]


def test_steps_do_not_change_the_state_they_start_from() -> None:
    """States are values: stepping returns a new one and leaves the old one as it was."""
    menu = shop_menu()
    start = menu.start()
    after = menu.step(start, "1")
    assert start == MenuState(node_id="start")
    assert after.node_id == "delivery"


def test_back_goes_one_choice_up_and_forgets_what_it_taught() -> None:
    """back() returns to the previous question, forgetting what the undone choice taught; the root stays."""
    menu = shop_menu()
    inside = menu.step(menu.start(), "1")
    assert menu.back(inside) == menu.start()
    assert menu.back(menu.start()) == menu.start()
    finished = menu.replay(["1", "2"])
    assert menu.back(finished) == inside


def test_replay_rebuilds_a_state_from_its_path() -> None:
    """A host may persist only the path: replay(path) gives the same state; a bad key fails as in step."""
    menu = shop_menu()
    state = menu.step(menu.step(menu.start(), "1"), "2")
    assert menu.replay(state.path) == state
    with pytest.raises(UnknownChoice):
        menu.replay(["1", "7"])


def test_the_prompt_lists_the_choices() -> None:
    """At a question the bot says the text and one line per choice."""
    menu = shop_menu()
    assert menu.reply(menu.start()) == (
        "Hello! What is your question about?\n1 - Delivery\n2 - Talk to a manager\n3 - Complaint\n"
        "4 - Opening hours"
    )


# -------------------------------------------------------------------------- apply


def test_apply_sets_the_chosen_group_and_what_was_learned() -> None:
    """A handover to a group sets chosen_group_id, topic, tags and attributes, keeping the dialog's own."""
    menu = shop_menu()
    dialog = Dialog(id="d1", channel="telegram", tags={"vip"}, attributes={"order": 42})
    applied = menu.apply(menu.replay(["2"]), dialog)
    assert applied.chosen_group_id == "sales"
    assert applied.topic == "purchase"
    assert applied.tags == frozenset({"vip", "lead"})
    assert dict(applied.attributes) == {
        "order": 42,
        "source": "menu",
        NODE_ATTRIBUTE: "manager",
        PATH_ATTRIBUTE: ("2",),
    }
    assert (applied.id, applied.channel) == ("d1", "telegram")


def test_apply_without_record_adds_only_what_was_learned() -> None:
    """record=False leaves out the menu's own node and path attributes."""
    menu = shop_menu()
    applied = menu.apply(menu.replay(["2"]), Dialog(id="d1"), record=False)
    assert dict(applied.attributes) == {"source": "menu"}


def test_apply_keeps_the_dialogs_topic_and_group_when_the_menu_learned_none() -> None:
    """An operator target sets no group, and without a learned topic the dialog's topic stays."""
    menu = Menu(root=Question(id="q", text="?", choices=[Choice(key="1", label="A", next=Handover(id="h"))]))
    dialog = Dialog(id="d", topic="billing", chosen_group_id="support")
    applied = menu.apply(menu.replay(["1"]), dialog)
    assert (applied.topic, applied.chosen_group_id) == ("billing", "support")


def test_apply_refuses_what_is_not_a_dialog() -> None:
    """apply() names the bad argument."""
    menu = shop_menu()
    with pytest.raises(InvalidValue) as caught:
        menu.apply(menu.start(), {"id": "d"})  # type: ignore[arg-type]
    assert caught.value.field == "dialog"


def test_rules_route_handovers_whose_target_is_not_a_group() -> None:
    """rules() gives one rule per non-group handover, matching the node attribute apply() records."""
    menu = shop_menu()
    (rule,) = menu.rules()
    assert rule.name == "menu complaint"
    assert rule.to == Target.operator("olga")
    assert rule.when == AttrCompare(name=NODE_ATTRIBUTE, op=Op.EQ, value="complaint")
    ctx = RuleContext(now=datetime(2026, 3, 2, tzinfo=UTC))
    assert rule.when(menu.apply(menu.replay(["3"]), Dialog(id="d")), ctx)
    assert not rule.when(menu.apply(menu.replay(["2"]), Dialog(id="d")), ctx)


# --------------------------------------------------------------------- plain data


SMALL = {
    "kind": "question",
    "id": "start",
    "text": "Hi",
    "choices": [
        {
            "key": "1",
            "label": "Sales",
            "topic": "buy",
            "next": {
                "kind": "handover",
                "id": "sales",
                "tags": ["lead"],
                "target": {"group": "sales"},
                "attributes": {"from": ["menu"]},
            },
        },
        {"key": "2", "label": "Hours", "next": {"kind": "answer", "id": "hours", "text": "9-21"}},
    ],
}


def test_to_dict_writes_plain_data_without_empty_fields() -> None:
    """A menu's plain form has a kind per node and omits defaults, ready for TOML."""
    menu = Menu.from_dict(SMALL)
    assert menu.to_dict() == SMALL
    assert menu.root.choices[0].next == Handover(
        id="sales", tags={"lead"}, target=Target.group("sales"), attributes={"from": ["menu"]}
    )


def test_menus_round_trip_through_json_and_toml() -> None:
    """to_dict output survives JSON and TOML and loads back to an equal menu."""
    preferred = Handover(id="mine", target=Target.preferred_operator(otherwise=Target.group("sales")))
    menu = attrs.evolve(
        shop_menu(),
        root=attrs.evolve(
            shop_menu().root,
            choices=[*shop_menu().root.choices, Choice(key="5", label="My manager", next=preferred)],
        ),
    )
    assert menu.to_dict()["choices"][4]["next"]["target"] == {"preferred": {"otherwise": {"group": "sales"}}}
    assert Menu.from_dict(json.loads(json.dumps(menu.to_dict()))) == menu
    assert Menu.from_dict(tomllib.loads(tomli_w.dumps(menu.to_dict()))) == menu


def test_a_wrong_type_deep_in_the_tree_is_named_by_its_path() -> None:
    """A handover topic that is not a string is reported at menu.choices[1].next.topic."""
    data = json.loads(json.dumps(SMALL))
    data["choices"].append({"key": "3", "label": "X", "next": {"kind": "handover", "id": "x", "topic": 7}})
    data["choices"][1] = data["choices"].pop()
    with pytest.raises(ConfigError) as caught:
        Menu.from_dict(data)
    assert caught.value.problems == (("menu.choices[1].next.topic", "must be a string (got 7)"),)
    assert str(caught.value) == "menu.choices[1].next.topic: must be a string (got 7)"


def test_every_problem_is_reported_at_once() -> None:
    """Typos, missing keys, bad kinds, bad targets and duplicate keys are all listed, each with its path."""
    data = {
        "kind": "question",
        "id": "start",
        "text": "Hi",
        "colour": "red",
        "choices": [
            {
                "key": "1",
                "lable": "Sales",
                "next": {"kind": "handover", "id": "s", "target": {"kind": "grp"}},
            },
            {"key": "2", "label": "Hours", "next": {"kind": "anwser", "id": "h"}},
            {"key": "3", "label": "Tags", "next": {"kind": "handover", "id": "t", "tags": ["ok", ""]}},
            {
                "key": "4",
                "label": "Empty",
                "next": {"kind": "question", "id": "e", "text": "?", "choices": []},
            },
            {"label": "No key", "next": {"kind": "answer", "id": "n", "text": "x"}},
        ],
    }
    with pytest.raises(ConfigError) as caught:
        Menu.from_dict(data)
    assert caught.value.problems == (
        ("menu.colour", "unknown key"),
        ("menu.choices[0].lable", "unknown key (did you mean 'label'?)"),
        ("menu.choices[0]", "missing key 'label'"),
        ("menu.choices[0].next.target.kind", "'grp' is not a valid TargetKind"),
        ("menu.choices[1].next.kind", "unknown node kind 'anwser': give 'question', 'answer' or 'handover'"),
        ("menu.choices[2].next.tags[1]", "must be a non-empty string (got '')"),
        ("menu.choices[3].next.choices", "a question needs a non-empty list of choices"),
        ("menu.choices[4]", "missing key 'key'"),
    )
    assert caught.value.path == "menu.colour"


def test_duplicates_found_only_after_reading_are_reported_with_paths() -> None:
    """Duplicate choice keys and duplicate node ids in otherwise sound data are named by path."""
    data = json.loads(json.dumps(SMALL))
    data["choices"][1]["key"] = "1"
    with pytest.raises(ConfigError) as by_key:
        Menu.from_dict(data)
    assert by_key.value.problems == (("menu.choices[1].key", "is offered twice in this question (got '1')"),)
    data = json.loads(json.dumps(SMALL))
    data["choices"][1]["next"]["id"] = "sales"
    with pytest.raises(ConfigError) as by_id:
        Menu.from_dict(data, path="bot.menu")
    assert by_id.value.problems == (
        ("bot.menu.choices[1].next.id", "duplicate node id 'sales' (first at bot.menu.choices[0].next)"),
    )


def test_the_root_of_plain_data_must_be_a_question_table() -> None:
    """Data that is not a table, has no kind, or whose root is a leaf is refused at the menu's path."""
    with pytest.raises(ConfigError) as not_a_table:
        Menu.from_dict(["start"])
    assert not_a_table.value.problems == (("menu", "expected a table (a mapping of keys to values)"),)
    with pytest.raises(ConfigError) as no_kind:
        Menu.from_dict({"id": "x"})
    assert no_kind.value.problems == (
        ("menu.kind", "missing key 'kind': give 'question', 'answer' or 'handover'"),
    )
    with pytest.raises(ConfigError) as leaf:
        Menu.from_dict({"kind": "answer", "id": "a", "text": "x"})
    assert leaf.value.problems == (("menu.kind", "the root of a menu must be a question"),)


def test_a_state_round_trips_through_serialize() -> None:
    """A mid-session or finished state survives chatroute.serialize and JSON, so hosts can persist it."""
    menu = shop_menu()
    for state in (menu.step(menu.start(), "1"), menu.replay(["1", "2"]), menu.replay(["3"])):
        data = json.loads(json.dumps(to_dict(state)))
        assert from_dict(MenuState, data) == state
    assert to_dict(menu.replay(["3"]))["outcome"] == "handed_over"


# --------------------------------------------------------------------- properties

LABELS = st.text(alphabet="abcxyz ", min_size=1, max_size=6).filter(lambda s: s.strip() == s)
WORDS = st.sampled_from(["a", "b", "vip", "lead", "x y"])
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=3),
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(st.text(max_size=2), inner, max_size=2),
    max_leaves=4,
)


@st.composite
def learned(draw: st.DrawFn) -> dict[str, Any]:
    """Optional topic, tags and attributes a choice or handover may teach."""
    return {
        "topic": draw(st.none() | WORDS),
        "tags": draw(st.frozensets(WORDS, max_size=2)),
        "attributes": draw(st.dictionaries(st.sampled_from(["k", "m"]), JSON_VALUES, max_size=2)),
    }


@st.composite
def nodes(draw: st.DrawFn, ids: list[int], depth: int) -> Question | Answer | Handover:
    """A random subtree; ``ids`` hands out unique node ids."""
    ids.append(len(ids))
    node_id = f"n{ids[-1]}"
    kinds = ["answer", "handover"] if depth >= 3 else ["question", "answer", "handover"]
    kind = "question" if depth == 0 else draw(st.sampled_from(kinds))
    if kind == "answer":
        return Answer(id=node_id, text=draw(LABELS))
    if kind == "handover":
        target = draw(
            st.none()
            | st.builds(Target.group, st.sampled_from(["sales", "support"]))
            | st.builds(Target.operator, st.sampled_from(["ann", "bob"]))
            | st.just(Target.everyone())
            | st.just(Target.preferred_operator(otherwise=Target.group("sales")))
        )
        return Handover(id=node_id, text=draw(st.none() | LABELS), target=target, **draw(learned()))
    labels = draw(st.lists(LABELS, min_size=1, max_size=3, unique_by=str.casefold))
    choices = [
        Choice(key=str(i + 1), label=label, next=draw(nodes(ids, depth + 1)), **draw(learned()))
        for i, label in enumerate(labels)
    ]
    return Question(id=node_id, text=draw(LABELS), choices=choices)


@st.composite
def menus(draw: st.DrawFn) -> Menu:
    """A random menu of up to four levels."""
    ids: list[int] = []
    root = draw(nodes(ids, 0))
    assert isinstance(root, Question)
    return Menu(root=root)


@st.composite
def walks(draw: st.DrawFn) -> tuple[Menu, MenuState]:
    """A random menu and the state after a random walk that may stop anywhere."""
    menu = draw(menus())
    state = menu.start()
    while not state.finished and draw(st.integers(0, 4)) > 0:
        question = menu.node(state.node_id)
        assert isinstance(question, Question)
        state = menu.step(state, draw(st.sampled_from(question.keys)))
    return menu, state


@given(menus())
def test_generated_menus_round_trip_through_plain_data(menu: Menu) -> None:
    """from_dict(to_dict(m)) == m for generated trees, also through JSON."""
    assert Menu.from_dict(menu.to_dict()) == menu
    assert Menu.from_dict(json.loads(json.dumps(menu.to_dict()))) == menu


@given(walks())
def test_a_walk_is_its_path_replayed_and_learns_only_what_it_passed(walk: tuple[Menu, MenuState]) -> None:
    """replay(state.path) rebuilds the state; learned tags come from the choices and leaf on the path."""
    menu, state = walk
    assert menu.replay(state.path) == state
    seen: set[str] = set()
    node = menu.root
    for key in state.path:
        assert isinstance(node, Question)
        choice = node.choices[node.keys.index(key)]
        seen |= choice.tags
        node = choice.next  # type: ignore[assignment]
    assert node.id == state.node_id
    if isinstance(node, Handover):
        seen |= node.tags
        assert state.target == node.target
    else:
        assert state.target is None
    assert state.tags == seen
    assert state.finished == (not isinstance(node, Question))
    assert from_dict(MenuState, json.loads(json.dumps(to_dict(state)))) == state


@given(st.lists(walks(), max_size=6))
def test_menu_stats_counts_add_up(walks_: list[tuple[Menu, MenuState]]) -> None:
    """Resolved, handed over and abandoned sessions add up to those started; every share is in 0..1."""
    states = [state for _, state in walks_]
    stats = MenuStats.from_states(states)
    assert stats.started == len(states)
    assert stats.resolved + stats.handed_over + stats.abandoned == stats.started
    assert sum(stats.by_leaf.values()) == stats.resolved + stats.handed_over
    assert sum(stats.abandoned_at.values()) == stats.abandoned
    assert list(stats.by_leaf) == sorted(stats.by_leaf)
    if states:
        assert stats.share_resolved is not None
        assert 0.0 <= stats.share_resolved <= 1.0
        assert stats.share_resolved == sum(s.resolved for s in states) / len(states)
    else:
        assert stats.share_resolved is None


def _locations(data: Any) -> list[tuple[Any, Any]]:
    """Every (container, key) pair inside nested dicts and lists."""
    found: list[tuple[Any, Any]] = []
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else []
    for key, value in items:
        found.append((data, key))
        found += _locations(value)
    return found


@given(menus(), st.data())
def test_corrupted_plain_data_gives_only_config_errors_with_paths(menu: Menu, data: st.DataObject) -> None:
    """A menu with any value of its plain form replaced loads and round-trips, or raises a ConfigError."""
    plain = json.loads(json.dumps(menu.to_dict()))
    container, key = data.draw(st.sampled_from(_locations(plain)))
    container[key] = data.draw(JSON_VALUES | st.just({"kind": "answer"}))
    problems: tuple[tuple[str, str], ...] = ()
    try:
        loaded = Menu.from_dict(plain)
    except ConfigError as error:
        problems = error.problems
        assert problems
    else:
        assert Menu.from_dict(loaded.to_dict()) == loaded
    assert all(path.startswith("menu") and message for path, message in problems)
