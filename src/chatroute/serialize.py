"""Plain, JSON-able dicts to and from chatroute values (snapshots, configs, rules, events).

Round trips are exact: ``from_dict(Snapshot, json.loads(json.dumps(to_dict(s)))) == s``.
Times are written as ISO 8601 text with their offset; they read back in UTC, as the
router keeps them, except a decision's ``reopens_at``, which keeps the offset of the
schedule's zone it was written in (so the decision writes the same JSON again).
Polymorphic values (predicates, strategies, events) carry a ``"kind"`` tag; a host's own
predicate or strategy class joins in with :func:`register`.

The short forms people write in config files load too: conditions
``{topic = ["order"], channel = "email"}``, ``{any = [...]}`` and ``{not = ...}``; targets
``{group = "sales"}``, ``{operator = "ann"}``, ``"everyone"`` and ``"preferred"``; groups'
``regions = {include = [...]}`` and ``pages = {include = [...], exclude = [...]}``; and
durations such as ``"30s"`` or ``"1h30m"`` wherever seconds are expected:

    >>> from_dict(ru.Predicate, {"topic": "order", "not": {"channel": ["email"]}}).describe()
    "topic is 'order' and not channel is 'email'"

    >>> from chatroute.rules import channel
    >>> to_dict(~channel("email"))
    {'kind': 'not', 'item': {'kind': 'channel', 'channels': ['email']}}
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Set
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar, get_args, get_origin

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from . import _config_form as form
from . import events as ev
from . import rules as ru
from . import schedule as sc
from . import snapshot as sn
from . import stats as sa
from . import strategies as st
from ._durations import to_duration
from ._frozen import FrozenMap, aware, thaw_value
from ._structure_problems import problems, problems_of, short_path
from .config import RoutingConfig
from .decision import Decision, GroupChoice
from .errors import ConfigError, InvalidValue, did_you_mean
from .model import Dialog, Group, StrategyLike, Target
from .snapshot import DialogRecord, Snapshot

__all__ = ["from_dict", "register", "to_dict"]

T = TypeVar("T")

_BASES: tuple[type, ...] = (ru.Predicate, st.Strategy, ev.Event)
_KINDS: dict[type, dict[str, type]] = {base: {} for base in _BASES}
_NAMES: dict[type, str] = {}

converter = cattrs.Converter(
    forbid_extra_keys=True,
    unstruct_collection_overrides={Set: sorted, frozenset: sorted},
)
converter.register_unstructure_hook(datetime, lambda d: d.isoformat())


def _structure_datetime(value: Any, _: Any) -> datetime:
    """A time the router keeps in UTC (events, snapshots): read in any offset, returned in UTC."""
    return aware(_structure_local_datetime(value, None))


def _structure_local_datetime(value: Any, _: Any) -> datetime:
    """A time in a zone of its own (a decision's ``reopens_at``): it keeps the offset it was written with.

    Read in UTC, it would describe the same instant but write different JSON than it was
    read from.
    """
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if not isinstance(moment, datetime) or moment.tzinfo is None:
        raise ValueError(f"expected an ISO 8601 time with a UTC offset, got {value!r}")
    aware(moment)  # the range check
    return moment


converter.register_structure_hook(datetime, _structure_datetime)
converter.register_unstructure_hook(timedelta, lambda d: d.total_seconds())
converter.register_structure_hook(timedelta, lambda v, _: to_duration(v))
converter.register_unstructure_hook(date, lambda d: d.isoformat())
converter.register_structure_hook(date, lambda v, _: date.fromisoformat(v))
converter.register_unstructure_hook(time, lambda t: t.isoformat())
converter.register_structure_hook(time, lambda v, _: time.fromisoformat(v))
converter.register_unstructure_hook(FrozenMap, lambda m: thaw_value(m))
converter.register_structure_hook(Any, lambda v, _: v)


def _strict(kind: type, check: Callable[[Any], bool]) -> Callable[[Any, Any], Any]:
    def structure(value: Any, _: Any) -> Any:
        if not check(value):
            raise ValueError(f"expected {kind.__name__}, got {value!r}")
        return kind(value)

    return structure


# No silent coercion: "false" is not False, 2.9 is not 2, 5 is not "5".
converter.register_structure_hook(bool, _strict(bool, lambda v: isinstance(v, bool)))
converter.register_structure_hook(int, _strict(int, lambda v: isinstance(v, int) and not isinstance(v, bool)))
converter.register_structure_hook(
    float, _strict(float, lambda v: isinstance(v, int | float) and not isinstance(v, bool))
)
converter.register_structure_hook(str, _strict(str, lambda v: isinstance(v, str)))


def _is_collection(tp: Any) -> bool:
    return get_origin(tp) in (frozenset, tuple)


def _structure_collection(tp: Any) -> Callable[[Any, Any], Any]:
    origin, args = get_origin(tp), get_args(tp)
    item = args[0] if args else Any
    if origin is tuple and args and (len(args) != 2 or args[1] is not Ellipsis):
        raise TypeError(f"fixed-length tuples are not supported: {tp}")

    def structure(value: Any, _: Any) -> Any:
        if not isinstance(value, list | tuple):
            raise ValueError(f"expected a list, got {value!r}")
        items, errors = [], []
        for i, v in enumerate(value):
            try:
                items.append(converter.structure(v, item))
            except Exception as exc:  # collected, then reported with their indexes
                exc.add_note(f"Structuring {tp} @ index {i}")
                errors.append(exc)
        if errors:
            raise cattrs.IterableValidationError(f"While structuring {tp}", errors, tp)
        return origin(items)

    return structure


converter.register_structure_hook_factory(_is_collection, _structure_collection)


def _base_of(cls: type) -> type:
    for base in _BASES:
        if issubclass(cls, base):
            return base
    raise TypeError(f"{cls.__name__} is not a Predicate, Strategy or Event")


def register(cls: type, kind: str) -> None:
    """Let :func:`to_dict` / :func:`from_dict` handle a predicate, strategy or event class.

    Args:
        cls: a frozen attrs subclass of ``Predicate``, ``Strategy`` or ``Event``.
        kind: the tag written in the ``"kind"`` key.
    """
    base = _base_of(cls)
    _KINDS[base][kind] = cls
    _NAMES[cls] = kind
    unstructure: Callable[[Any], dict[str, Any]] = make_dict_unstructure_fn(cls, converter)
    converter.register_unstructure_hook(cls, lambda value: {"kind": kind, **unstructure(value)})
    _structure_kind(cls, kind, {})


def _structure_kind(cls: type, kind: str, overrides: dict[str, Any]) -> None:
    """Structure ``cls`` from its fields, with or without the ``"kind"`` tag it is written with."""
    body: Callable[[Any, Any], Any] = make_dict_structure_fn(cls, converter, **overrides)

    def structure(data: Any, _: Any) -> Any:
        if isinstance(data, dict) and data.get("kind") == kind:
            data = {k: v for k, v in data.items() if k != "kind"}
        return body(data, cls)

    converter.register_structure_hook(cls, structure)


def _unstructure_any(value: Any) -> Any:
    cls = type(value)
    if cls not in _NAMES:
        base = _base_of(cls)
        raise InvalidValue(
            base.__name__.lower(),
            value,
            f"{cls.__name__} is not registered: call serialize.register({cls.__name__}, 'a-kind') first",
        )
    return converter.unstructure(value, cls)


def _structure_tagged(base: type) -> Any:
    def structure(data: Any, _: Any) -> Any:
        if base is not ev.Event and isinstance(data, str):
            data = {"kind": data}  # a kind without options: strategy = "even", when = "always"
        if base is ru.Predicate and isinstance(data, dict) and "kind" not in data:
            return _short_predicate(data)
        if not isinstance(data, dict) or "kind" not in data:
            raise ValueError(f"expected a dict with a 'kind' naming a {base.__name__}")
        cls = _KINDS[base].get(data["kind"])
        if cls is None:
            kinds = _KINDS[base]
            raise ValueError(
                f"unknown {base.__name__.lower()} kind {data['kind']!r}"
                + did_you_mean(str(data["kind"]), kinds)
            )
        body = {k: v for k, v in data.items() if k != "kind"}
        return converter.structure(body, cls)

    return structure


_SHORT_KINDS = {"any": "any_of", "all": "all_of"}


def registered(base: type) -> dict[str, type]:
    """The kinds registered for ``Predicate``, ``Strategy`` or ``Event``, in the order
    they were registered (the built-ins first), each with its class."""
    return dict(_KINDS[base])


def predicate_fields() -> dict[str, int]:
    """How many fields each registered predicate kind has (the short form writes one-field
    kinds as ``{kind = value}``)."""
    return {kind: len(attrs.fields(cls)) for kind, cls in _KINDS[ru.Predicate].items()}


def _short_predicate(data: dict[str, Any]) -> ru.Predicate:
    """``{topic = [...], channel = "email"}`` (keys combine with and), ``{any = [...]}``, ``{not = ...}``."""
    if not data:
        raise ValueError("give a condition, such as {topic = ['order']} or 'always'")
    parts: list[ru.Predicate] = []
    found: list[tuple[str, str]] = []
    kinds = _KINDS[ru.Predicate]
    for key, value in data.items():
        cls = kinds.get(_SHORT_KINDS.get(key, key))
        if cls is None:
            known = [*_SHORT_KINDS, *(k for k in kinds if k not in _SHORT_KINDS.values())]
            found.append((key, "unknown condition" + did_you_mean(str(key), known)))
            continue
        fields = attrs.fields(cls)
        one = len(fields) == 1
        if key in form.ONE_OR_MANY and isinstance(value, str):
            value = [value]  # channel = "email"
        if cls is ru.AttrCompare and isinstance(value, dict) and "value_json" in value:
            try:
                value = form.from_value_json(value)
            except ValueError as exc:
                found.append((f"{key}.value_json", str(exc)))
                continue
        body = {fields[0].name: value} if one else value
        try:
            parts.append(converter.structure(body, cls))
        except Exception as exc:  # reported with the key's path
            for path, message in problems(exc):
                if one:  # the field is the key itself: topic, not topic.topics
                    path = path.removeprefix("." + fields[0].name)
                found.append((_under(key, path), message))
    if found:
        raise ConfigError(found)
    return parts[0] if len(parts) == 1 else ru.AllOf(items=parts)


def _under(prefix: str, path: str) -> str:
    """``path`` (``.field``, ``[0]``, ``field`` or nothing) below ``prefix``."""
    if not path or path.startswith(("[", ".")):
        return prefix + path
    return f"{prefix}.{path}"


def _lazy_body(cls: type) -> Callable[[Any], Any]:
    """The generated long-form structure function of ``cls``, made on first use (after every hook)."""
    made: list[Callable[[Any, Any], Any]] = []

    def body(data: Any) -> Any:
        if not made:
            made.append(make_dict_structure_fn(cls, converter))
        return made[0](data, cls)

    return body


_group_body = _lazy_body(Group)
_config_body = _lazy_body(RoutingConfig)


@functools.cache
def _config_long() -> Callable[[RoutingConfig], dict[str, Any]]:
    """The generated long-form unstructure function of a config, made on first use."""
    long: Callable[[RoutingConfig], dict[str, Any]] = make_dict_unstructure_fn(RoutingConfig, converter)
    return long


def _structure_config(data: Any) -> RoutingConfig:
    """A config, with its ``offline`` entry in either form."""
    data, found = form.expand_config(data)
    if found:  # report the other fields' problems too
        try:
            _config_body({k: v for k, v in data.items() if k not in form.LONG_OF["offline"]})
        except Exception as exc:
            found += problems(exc)
        raise ConfigError(found)
    config: RoutingConfig = _config_body(data)
    return config


def _structure_group(data: Any, _: Any) -> Group:
    """A group, with ``regions`` / ``pages`` tables or the long ``regions_include`` keys."""
    data, found = form.expand_group(data)
    if found:  # report the other fields' problems too
        try:
            _group_body({k: v for k, v in data.items() if not k.startswith(("regions_", "pages_"))})
        except Exception as exc:
            found += problems(exc)
        raise ConfigError([(short_path(p.removeprefix(".")), m) for p, m in found])
    group: Group = _group_body(data)
    return group


for _base in _BASES:
    converter.register_unstructure_hook(_base, _unstructure_any)
    converter.register_structure_hook(_base, _structure_tagged(_base))

attrs.resolve_types(Group)
converter.register_unstructure_hook(StrategyLike, _unstructure_any)
converter.register_structure_hook(StrategyLike, _structure_tagged(st.Strategy))
converter.register_structure_hook(Target, lambda data, _: form.read_target(data))


def _omit_when_default(cls: type, *names: str) -> None:
    """Write ``cls`` without the named fields while they hold their defaults (options added
    later, so that records written before them stay as they were)."""
    overrides: dict[str, Any] = {name: override(omit_if_default=True) for name in names}
    converter.register_unstructure_hook(cls, make_dict_unstructure_fn(cls, converter, **overrides))


_omit_when_default(Target, "tags", "wait")  # before the events that hold targets are registered
converter.register_structure_hook(Group, _structure_group)
converter.register_structure_hook(RoutingConfig, lambda data, _: _structure_config(data))
converter.register_unstructure_hook(
    RoutingConfig, lambda config: form.short_config(config, _config_long(), predicate_fields())
)


for _cls, _kind in (
    (ru.Always, "always"),
    (ru.AllOf, "all_of"),
    (ru.AnyOf, "any_of"),
    (ru.Not, "not"),
    (ru.TopicIs, "topic"),
    (ru.OnChannel, "channel"),
    (ru.HasTag, "has_tag"),
    (ru.HasAnyTag, "has_any_tag"),
    (ru.HasAllTags, "has_all_tags"),
    (ru.PageMatches, "page"),
    (ru.InRegion, "region"),
    (ru.LanguageIs, "language"),
    (ru.TimeBetween, "time_between"),
    (ru.OnWeekday, "weekday"),
    (ru.OpenNow, "open_now"),
    (ru.AttrCompare, "attr"),
    (st.Even, "even"),
    (st.LongestIdle, "longest_idle"),
    (st.MostAvailable, "most_available"),
    (st.SkillBased, "skill_based"),
    (st.RoundRobin, "round_robin"),
    (st.RandomWithinLimit, "random_within_limit"),
    (st.ManualPool, "manual_pool"),
    (st.Sticky, "sticky"),
    (st.Broadcast, "broadcast"),
    (sa.BestRated, "best_rated"),
    (ev.DialogQueued, "dialog_queued"),
    (ev.DialogAssigned, "dialog_assigned"),
    (ev.DialogAdopted, "dialog_adopted"),
    (ev.DialogOffered, "dialog_offered"),
    (ev.DialogEscalated, "dialog_escalated"),
    (ev.RequirementRelaxed, "requirement_relaxed"),
    (ev.DialogDeclinedByAll, "dialog_declined_by_all"),
    (ev.OfferWithdrawn, "offer_withdrawn"),
    (ev.DialogTransferred, "dialog_transferred"),
    (ev.DialogRequeued, "dialog_requeued"),
    (ev.DialogStoppedWaiting, "dialog_stopped_waiting"),
    (ev.DialogReleased, "dialog_released"),
    (ev.StatusChanged, "status_changed"),
    (ev.LimitChanged, "limit_changed"),
    (ev.SlaLevelChanged, "sla_level_changed"),
    (ev.WrapUpStarted, "wrap_up_started"),
    (ev.WrapUpEnded, "wrap_up_ended"),
    (ev.DialogHeld, "dialog_held"),
    (ev.DialogResumed, "dialog_resumed"),
):
    register(_cls, _kind)


_omit_when_default(sn.OperatorState, "wrap_ups")  # wrap-ups, like holds and relaxes, only when used


def _omit_defaults(cls: type, *names: str) -> None:
    """Write ``cls`` without the options left at their defaults (``Even()`` stays ``"even"``);
    with ``names``, only those (options added later)."""
    kind = _NAMES[cls]
    omit: dict[str, Any] = {name: override(omit_if_default=True) for name in names}
    body: Callable[[Any], dict[str, Any]] = make_dict_unstructure_fn(
        cls, converter, _cattrs_omit_if_default=not names, **omit
    )
    converter.register_unstructure_hook(cls, lambda value: {"kind": kind, **body(value)})


_omit_defaults(st.Even)
_omit_defaults(st.MostAvailable)
_omit_defaults(st.Sticky, "wait")


_omit_when_default(Dialog, "relax", "avoid")
_omit_when_default(
    DialogRecord,
    "held_since",
    "resume_to",
    "relaxed_at",
    "declines_lapse",
    "preferred_until",
    "preferred_then",
)


def _raw(value: Any, _: Any) -> Any:
    return value


def _hours_items(value: Any, _: Any) -> Any:
    if isinstance(value, list):
        return [converter.structure(item, sc.Hours) if isinstance(item, dict) else item for item in value]
    return value


def _own_converters(cls: type, **hooks: Callable[[Any, Any], Any]) -> None:
    """Hand the named fields' values to the class's own converters.

    Hand-written files use friendlier forms than :func:`to_dict` writes (day names,
    ``"24:00"``, ``"10:00-14:00"``, a lone date); the classes' converters accept them
    and reject the rest with an error naming the field.
    """
    overrides: dict[str, Any] = {name: override(struct_hook=hook) for name, hook in hooks.items()}
    if cls in _NAMES:
        _structure_kind(cls, _NAMES[cls], overrides)
    else:
        converter.register_structure_hook(cls, make_dict_structure_fn(cls, converter, **overrides))


# The JSON form of a department choice keeps its first key, so hosts reading it still work.
_choice_keys: dict[str, Any] = {"id": override(rename="group_id")}
converter.register_unstructure_hook(
    GroupChoice, make_dict_unstructure_fn(GroupChoice, converter, **_choice_keys)
)
converter.register_structure_hook(GroupChoice, make_dict_structure_fn(GroupChoice, converter, **_choice_keys))

_own_converters(sc.Hours, start=_raw, end=_raw)
_own_converters(sc.Window, days=_raw, start=_raw, end=_raw)
_own_converters(sc.Closure, dates=_raw)
_own_converters(sc.SpecialHours, dates=_raw, hours=_hours_items)
_own_converters(ru.OnWeekday, days=_raw)
_own_converters(ru.TimeBetween, start=_raw, end=_raw)


def _structure_reopening(value: Any, _: Any) -> datetime | None:
    return None if value is None else _structure_local_datetime(value, None)


# Schedule.next_open answers in the schedule's zone: a decision read back keeps it.
converter.register_structure_hook(
    Decision,
    make_dict_structure_fn(Decision, converter, reopens_at=override(struct_hook=_structure_reopening)),
)


def to_dict(value: Any) -> Any:
    """A JSON-able form of any chatroute value (or list of values)."""
    return converter.unstructure(value)


def from_dict(cls: type[T], data: Any) -> T:
    """Rebuild a value of type ``cls`` from :func:`to_dict` output.

    Raises:
        ConfigError: the data does not describe a ``cls``; the message names each
            problem's path.
    """
    try:
        return converter.structure(data, cls)
    except Exception as exc:  # cattrs wraps every failure; report them with paths
        raise ConfigError(problems_of(exc)) from exc


# last: after every hook of the records they hold
_omit_when_default(Decision, "reason_code")
_omit_when_default(Snapshot, "offer_log")
