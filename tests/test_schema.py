"""The JSON Schemas of config and scenario files: every example and docs sample validates."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from importlib.resources import files
from pathlib import Path
from typing import Any

import attrs
import jsonschema
import pytest
from hypothesis import given

from chatroute import Dialog, RoutingConfig, serialize
from chatroute._schema import config_schema, scenario_schema
from chatroute._starter import CONFIG, scenario
from chatroute.rules import Predicate, RuleContext
from chatroute.strategies import OperatorView, Strategy, StrategyContext

from .strategies import configs

ROOT = Path(__file__).resolve().parent.parent
CONFIG_VALIDATOR = jsonschema.Draft7Validator(config_schema())
SCENARIO_VALIDATOR = jsonschema.Draft7Validator(scenario_schema())
_QUOTED = re.compile(r"('''|\"\"\")(.*?)\1", re.DOTALL)


def _docs_samples() -> list[tuple[str, dict[str, Any]]]:
    """The TOML texts in the docs' and README's code samples, by page (menus left out)."""
    found = []
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]:
        text = re.sub(r"(?m)^(>>>|\.\.\.) ?", "", page.read_text(encoding="utf-8"))
        for match in _QUOTED.finditer(text):
            try:
                data = tomllib.loads(match.group(2))
            except tomllib.TOMLDecodeError:
                continue
            if data and "choices" not in data:  # a menu's TOML is not a config
                found.append((page.relative_to(ROOT).as_posix(), data))
    return found


def _kind(data: dict[str, Any]) -> jsonschema.Draft7Validator:
    return SCENARIO_VALIDATOR if "traffic" in data or "config" in data else CONFIG_VALIDATOR


def test_both_schemas_are_valid_draft_7() -> None:
    """Each schema is itself a valid draft-07 schema."""
    jsonschema.Draft7Validator.check_schema(config_schema())
    jsonschema.Draft7Validator.check_schema(scenario_schema())


@pytest.mark.parametrize("path", sorted((ROOT / "examples").glob("*.toml")), ids=lambda p: p.name)
def test_every_example_file_validates(path: Path) -> None:
    """The example scenarios follow the scenario schema."""
    SCENARIO_VALIDATOR.validate(tomllib.loads(path.read_text(encoding="utf-8")))


def test_the_embedded_scenario_and_the_starter_files_validate() -> None:
    """The car dealer scenario, and what `chatroute init` writes, follow their schemas."""
    default = files("chatroute.simulate").joinpath("default.toml").read_text(encoding="utf-8")
    SCENARIO_VALIDATOR.validate(tomllib.loads(default))
    CONFIG_VALIDATOR.validate(tomllib.loads(CONFIG))
    SCENARIO_VALIDATOR.validate(tomllib.loads(scenario()))


def test_every_docs_sample_validates() -> None:
    """Each TOML sample in the docs follows the schema of its kind (there are several)."""
    samples = _docs_samples()
    assert len(samples) >= 3
    for page, data in samples:
        errors = [e.message for e in _kind(data).iter_errors(data)]
        assert errors == [], page


@given(configs(departments=True, offers=True))
def test_what_to_dict_writes_validates(config: RoutingConfig) -> None:
    """Every config dumped in the short form (and read from TOML) follows the config schema."""
    CONFIG_VALIDATOR.validate(config.to_dict())
    CONFIG_VALIDATOR.validate(tomllib.loads(config.to_toml()))


@pytest.mark.parametrize(
    "data",
    [
        {"rules": [{"name": "r", "when": {"topik": "x"}, "to": "everyone"}]},
        {"rules": [{"name": "r", "when": "always", "to": {"grup": "s"}}]},
        {"groups": [{"id": "g", "regions": {"include": ["RU"], "exclude": ["DE"]}}]},
        {"offline": {"requeue_afer": "1m"}},
        {"aging": "1:30"},
        {"default_limt": 3},
    ],
    ids=repr,
)
def test_mistakes_are_flagged_by_the_schema(data: dict[str, Any]) -> None:
    """Misspelt keys, both region lists and malformed durations do not validate."""
    assert not CONFIG_VALIDATOR.is_valid(data)


@attrs.frozen
class _Spends(Predicate):
    """A host's own condition with one field: the client spent at least ``amount``."""

    amount: int

    def __call__(self, dialog: Dialog, ctx: RuleContext) -> bool:
        return int(dialog.attributes.get("spent", 0)) >= self.amount

    def describe(self) -> str:
        return f"spent at least {self.amount}"


@attrs.frozen
class _Weekend(Predicate):
    """A host's own condition without fields."""

    def __call__(self, dialog: Dialog, ctx: RuleContext) -> bool:
        return False

    def describe(self) -> str:
        return "on a weekend"


@attrs.frozen
class _Cheapest(Strategy):
    """A host's own strategy."""

    def choose(self, candidates: Sequence[OperatorView], dialog: Dialog, ctx: StrategyContext) -> str | None:
        return candidates[0].id


serialize.register(_Spends, "schema_test_spends")
serialize.register(_Weekend, "schema_test_weekend")
serialize.register(_Cheapest, "schema_test_cheapest")


@pytest.mark.parametrize(
    "data",
    [
        {"rules": [{"name": "r", "when": {"schema_test_spends": 100, "topic": "x"}, "to": "everyone"}]},
        {"rules": [{"name": "r", "when": "schema_test_weekend", "to": "everyone"}]},
        {"rules": [{"name": "r", "when": {"kind": "schema_test_spends", "amount": 5}, "to": "everyone"}]},
        {"strategy": "schema_test_cheapest"},
        {"groups": [{"id": "g", "strategy": {"kind": "schema_test_cheapest"}}]},
    ],
    ids=repr,
)
def test_kinds_a_host_registered_are_in_a_schema_made_after(data: dict[str, Any]) -> None:
    """A schema made from the registry takes a host's condition and strategy kinds, short and long."""
    RoutingConfig.from_dict(data)  # the loader takes them: so must the schema
    validator = jsonschema.Draft7Validator(config_schema())
    assert validator.is_valid(data), list(validator.iter_errors(data))
    assert not validator.is_valid({"strategy": "schema_test_cheapst"})
