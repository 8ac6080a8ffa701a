"""chatroute.errors: the hierarchy, the attributes each error keeps, and its message."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chatroute import (
    AlreadyClaimed,
    AtLimit,
    ChatrouteError,
    ConfigError,
    Dialog,
    DialogClosed,
    DuplicateDialog,
    InvalidTransition,
    InvalidValue,
    NaiveDatetime,
    NotEligible,
    Operator,
    Router,
    RoutingConfig,
    UnknownChannel,
    UnknownDialog,
    UnknownGroup,
    UnknownId,
    UnknownOperator,
    UnknownStatus,
    errors,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

UNKNOWN_IDS: list[tuple[type[UnknownId], str]] = [
    (UnknownOperator, "operator"),
    (UnknownDialog, "dialog"),
    (UnknownGroup, "group"),
    (UnknownChannel, "channel"),
    (UnknownStatus, "status"),
]

VALUE_ERRORS: list[type[ChatrouteError]] = [
    InvalidValue,
    NaiveDatetime,
    InvalidTransition,
    DialogClosed,
    DuplicateDialog,
    AlreadyClaimed,
    NotEligible,
    AtLimit,
    ConfigError,
]


# ------------------------------------------------------------------ hierarchy


@pytest.mark.parametrize(("cls", "kind"), UNKNOWN_IDS, ids=lambda v: getattr(v, "__name__", v))
def test_unknown_id_errors_are_lookup_errors(cls: type[UnknownId], kind: str) -> None:
    """Every Unknown* error is a ChatrouteError, an UnknownId and a LookupError, not a ValueError."""
    assert issubclass(cls, ChatrouteError)
    assert issubclass(cls, UnknownId)
    assert issubclass(cls, LookupError)
    assert not issubclass(cls, ValueError)
    assert cls.kind == kind


@pytest.mark.parametrize("cls", VALUE_ERRORS, ids=lambda c: c.__name__)
def test_value_errors_are_chatroute_and_value_errors(cls: type[ChatrouteError]) -> None:
    """Bad values, invalid transitions, ineligibility and config errors are ValueErrors."""
    assert issubclass(cls, ChatrouteError)
    assert issubclass(cls, ValueError)
    assert not issubclass(cls, LookupError)


@pytest.mark.parametrize(
    ("child", "parent"),
    [
        (NaiveDatetime, InvalidValue),
        (DialogClosed, InvalidTransition),
        (DuplicateDialog, InvalidTransition),
        (AlreadyClaimed, InvalidTransition),
        (AtLimit, NotEligible),
    ],
    ids=lambda c: c.__name__,
)
def test_specific_errors_refine_general_ones(child: type[Exception], parent: type[Exception]) -> None:
    """Specific errors can be caught by their general class."""
    assert issubclass(child, parent)


def test_every_exported_error_is_a_chatroute_error() -> None:
    """Everything errors.__all__ names is a ChatrouteError subclass."""
    for name in errors.__all__:
        assert issubclass(getattr(errors, name), ChatrouteError), name


def test_catching_the_builtin_catches_chatroute_errors() -> None:
    """Host code catching LookupError or ValueError catches chatroute's errors too."""
    with pytest.raises(LookupError):
        raise UnknownOperator("ann")
    with pytest.raises(ValueError, match="must be positive"):
        raise InvalidValue("warn", -1, "must be positive")


# ------------------------------------------------------ attributes and messages


@pytest.mark.parametrize(("cls", "kind"), UNKNOWN_IDS, ids=lambda v: getattr(v, "__name__", v))
def test_unknown_id_keeps_id_and_field_and_names_them(cls: type[UnknownId], kind: str) -> None:
    """An Unknown* error keeps .id and .field and says 'field: unknown kind id'."""
    err = cls("x-1", field="transfer.to")
    assert (err.id, err.field) == ("x-1", "transfer.to")
    assert str(err) == f"transfer.to: unknown {kind} 'x-1'"
    bare = cls("x-1")
    assert bare.field is None
    assert str(bare) == f"unknown {kind} 'x-1'"


def test_invalid_value_keeps_field_and_value() -> None:
    """InvalidValue keeps .field and .value and names both in its message."""
    err = InvalidValue("limit", -3, "must be a non-negative integer")
    assert (err.field, err.value) == ("limit", -3)
    assert str(err) == "limit: must be a non-negative integer (got -3)"


def test_naive_datetime_message() -> None:
    """NaiveDatetime names the field and shows the naive value."""
    naive = datetime(2026, 3, 2, 9, 0)
    err = NaiveDatetime("now", naive)
    assert (err.field, err.value) == ("now", naive)
    assert str(err) == f"now: a timezone-aware datetime is required (got {naive!r})"


def test_invalid_transition_family_keeps_dialog_and_state() -> None:
    """InvalidTransition and its subclasses keep .dialog_id and .state and name the dialog."""
    err = InvalidTransition("d1", "queued", "only closed dialogs can be forgotten")
    assert (err.dialog_id, err.state) == ("d1", "queued")
    assert str(err) == "dialog 'd1' (queued): only closed dialogs can be forgotten"
    closed = DialogClosed("d2")
    assert (closed.dialog_id, closed.state) == ("d2", "closed")
    assert str(closed) == "dialog 'd2' (closed): the dialog is already closed"
    dup = DuplicateDialog("d3", "assigned")
    assert (dup.dialog_id, dup.state) == ("d3", "assigned")
    assert "already been routed" in str(dup)


def test_already_claimed_names_the_holder() -> None:
    """AlreadyClaimed keeps .operator_id and names who holds the dialog."""
    err = AlreadyClaimed("d1", "assigned", "natalia")
    assert (err.dialog_id, err.state, err.operator_id) == ("d1", "assigned", "natalia")
    assert str(err) == "dialog 'd1' (assigned): already claimed by 'natalia'"
    assert AlreadyClaimed("d1", "offered", None).operator_id is None


def test_already_claimed_without_a_holder_says_it_once() -> None:
    """An offered dialog nobody holds is 'already claimed', not 'already claimed already'."""
    assert str(AlreadyClaimed("d1", "offered", None)) == "dialog 'd1' (offered): already claimed"


def test_not_eligible_keeps_operator_dialog_and_reason() -> None:
    """NotEligible and AtLimit keep .operator_id, .dialog_id and .reason."""
    err = AtLimit("maxim", "d1", "at_limit", "at limit 5 of 5")
    assert (err.operator_id, err.dialog_id, err.reason) == ("maxim", "d1", "at_limit")
    assert str(err) == "operator 'maxim' cannot take dialog 'd1': at limit 5 of 5"


def test_config_error_keeps_problems_and_lists_them() -> None:
    """ConfigError keeps the (path, message) pairs, one line each; .path is the first path."""
    err = ConfigError([("groups[2].regions", "give include or exclude, not both"), ("", "no channels")])
    assert err.problems == (("groups[2].regions", "give include or exclude, not both"), ("", "no channels"))
    assert str(err) == "groups[2].regions: give include or exclude, not both\nno channels"
    assert err.path == "groups[2].regions"
    assert ConfigError([]).path == ""


# ------------------------------------------------------- raised by the library


def test_router_errors_name_the_unknown_id_and_field() -> None:
    """Errors raised by real calls carry the offending id and the argument it came from."""
    router = Router(RoutingConfig(operators=[Operator(id="ann", status="online")]))
    with pytest.raises(UnknownOperator) as op_info:
        router.set_status("anne", "online", T0)
    assert (op_info.value.id, op_info.value.field) == ("anne", "operator_id")
    assert "'anne'" in str(op_info.value)
    with pytest.raises(UnknownStatus) as status_info:
        router.set_status("ann", "lunch", T0)
    assert (status_info.value.id, status_info.value.field) == ("lunch", "status")
    with pytest.raises(UnknownChannel) as channel_info:
        router.route(Dialog(id="d1", channel="fax"), T0)
    assert (channel_info.value.id, channel_info.value.field) == ("fax", "dialog.channel")
    with pytest.raises(UnknownDialog) as dialog_info:
        router.release("nope", T0)
    assert dialog_info.value.id == "nope"


def test_router_refuses_naive_now_naming_the_argument() -> None:
    """A naive 'now' raises NaiveDatetime on field 'now'."""
    router = Router(RoutingConfig())
    with pytest.raises(NaiveDatetime) as info:
        router.route(Dialog(id="d1"), datetime(2026, 3, 2, 9, 0))
    assert info.value.field == "now"
    assert str(info.value).startswith("now: ")


def test_transition_errors_from_the_router() -> None:
    """Releasing twice raises DialogClosed; routing an id again raises DuplicateDialog."""
    router = Router(RoutingConfig(operators=[Operator(id="ann", status="online")]))
    router.route(Dialog(id="d1"), T0)
    router.release("d1", T0)
    with pytest.raises(DialogClosed) as closed:
        router.release("d1", T0)
    assert closed.value.dialog_id == "d1"
    with pytest.raises(DuplicateDialog) as dup:
        router.route(Dialog(id="d1"), T0)
    assert (dup.value.dialog_id, dup.value.state) == ("d1", "closed")


def test_value_errors_from_the_model_name_the_field() -> None:
    """Validators name the offending field and value."""
    with pytest.raises(InvalidValue) as info:
        Operator(id="ann", skills={"english": 12})
    assert info.value.field == "skills['english']"
    assert info.value.value == 12
    assert str(info.value) == "skills['english']: must be an integer 1..10 (got 12)"
