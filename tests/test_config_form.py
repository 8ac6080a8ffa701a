"""The hand-written form of configs: region, page and offline tables."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chatroute._config_form import expand_config, expand_group, read_target, shorten_target, write_target
from chatroute.errors import ConfigError
from chatroute.model import Target
from chatroute.serialize import to_dict


def test_region_and_page_tables_become_the_long_keys() -> None:
    """regions = {include} and pages = {include, exclude} are the group's four lists."""
    data, found = expand_group({"id": "g", "regions": {"exclude": "RU"}, "pages": {"include": ["*/a*"]}})
    assert found == []
    assert data == {"id": "g", "regions_exclude": "RU", "pages_include": ["*/a*"]}


def test_both_region_lists_are_one_problem_at_regions() -> None:
    """A region table with include and exclude is reported at 'regions'."""
    _, found = expand_group({"id": "g", "regions": {"include": ["RU"], "exclude": ["DE"]}})
    assert found == [("regions", "give include or exclude, not both")]


@pytest.mark.parametrize(
    ("offline", "policy", "grace"),
    [("keep", "keep", None), ("requeue", "requeue", None), ({"requeue_after": "1m"}, "requeue", "1m")],
)
def test_the_offline_entry_sets_the_policy_and_its_grace(offline: object, policy: str, grace: object) -> None:
    """'keep', 'requeue' and {requeue_after} are offline_policy and requeue_grace."""
    data, found = expand_config({"offline": offline})
    assert found == []
    assert data.get("offline_policy") == policy
    assert data.get("requeue_grace") == grace


_leaf_targets = st.one_of(
    st.builds(Target.group, st.text(min_size=1, max_size=5)),
    st.builds(Target.operator, st.text(min_size=1, max_size=5)),
    st.just(Target.everyone()),
    st.just(Target.preferred_operator()),
)
_targets = st.one_of(_leaf_targets, st.builds(Target.preferred_operator, _leaf_targets))


@given(_targets)
def test_a_target_reads_back_from_both_of_its_forms(target: Target) -> None:
    """write_target and the long form serialize writes both read back to the same target."""
    assert read_target(write_target(target)) == target
    assert read_target(to_dict(target)) == target
    assert shorten_target(to_dict(target)) == write_target(target)


@pytest.mark.parametrize(
    ("data", "problems"),
    [
        ({"grup": "a"}, [("grup", "unknown key (did you mean 'group'?)")]),
        (
            {"kind": "grop", "id": 3},
            [("kind", "'grop' is not a valid TargetKind"), ("id", "expected str, got 3")],
        ),
        (
            {"preferred": {"otherwise": {"kind": "group"}}},
            [("preferred.otherwise.id", "a group target needs an id (got None)")],
        ),
    ],
)
def test_a_bad_target_names_every_problem_with_its_path(
    data: object, problems: list[tuple[str, str]]
) -> None:
    """read_target reports each problem below the target, without cattrs."""
    with pytest.raises(ConfigError) as caught:
        read_target(data)
    assert list(caught.value.problems) == problems
