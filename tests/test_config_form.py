"""The hand-written form of configs: region, page and offline tables."""

from __future__ import annotations

import pytest

from chatroute._config_form import expand_config, expand_group


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
