"""Finding the line of a problem's path in a TOML file."""

from __future__ import annotations

import pytest

from chatroute._locate import json_lines, line_of, toml_lines

TEXT = """\
name = "desk"          # 1
[config]               # 2
default_limit = 3      # 3
[[config.groups]]      # 4
id = "a"               # 5
[[config.groups]]      # 6
id = "b"               # 7
regions = { include = ["RU"] }
[[config.rules]]       # 9
name = "r"
description = '''
id = "not a key"
'''
to = { group = "x" }   # 14
[[config.rules.escalate]]
after = "1m"           # 16
[config.fallback]      # 17
group = "b"
"""


def test_keys_and_tables_have_their_lines() -> None:
    """Top-level keys, tables, array items and keys inside them are found at their line."""
    lines = toml_lines(TEXT)
    assert lines["name"] == 1
    assert lines["config.default_limit"] == 3
    assert lines["config.groups[0].id"] == 5
    assert lines["config.groups[1]"] == 6
    assert lines["config.rules[0].escalate[0].after"] == 16
    assert lines["config.fallback.group"] == 18


def test_a_path_inside_an_inline_table_takes_its_key_line() -> None:
    """rules[0].to.group is on the line of 'to', the nearest key the scan saw."""
    lines = toml_lines(TEXT)
    assert line_of("config.rules[0].to.group", lines) == 14
    assert line_of("config.groups[1].regions.include[0]", lines) == 8
    assert line_of("config.groups[1].limit", lines) == 6


def test_keys_inside_multi_line_strings_are_not_keys() -> None:
    """A line inside a ''' string is text, not an assignment."""
    assert toml_lines(TEXT).get("config.rules[0].id") is None


def test_a_path_with_nothing_known_has_no_line() -> None:
    """A path whose first key is not in the file gives None."""
    assert line_of("traffic.arrivals[0]", toml_lines(TEXT)) is None
    assert line_of("", toml_lines(TEXT)) is None


JSON = """{
  "config": {
    "groups": [
      {"id": "a"},
      {
        "id": "b\\"c", "regions": {"include": ["RU", "DE"]}
      }
    ],
    "empty": [], "none": {},
    "n": -1.5e3, "flag": true, "nothing": null
  }
}"""


def test_json_keys_and_array_items_have_their_lines() -> None:
    """Each key is found on the line it starts; array items on theirs, escaped keys and empties too."""
    lines = json_lines(JSON)
    assert lines["config"] == 2
    assert (lines["config.groups[0]"], lines["config.groups[0].id"]) == (4, 4)
    assert (lines["config.groups[1]"], lines["config.groups[1].id"]) == (5, 6)
    assert lines["config.groups[1].regions.include[1]"] == 6
    assert (lines["config.empty"], lines["config.none"], lines["config.nothing"]) == (9, 9, 10)
    assert line_of("config.groups[1].limit", lines) == 5


def test_a_text_that_is_not_json_raises_value_error() -> None:
    """The walker reads only JSON; the caller reads the text first."""
    with pytest.raises(ValueError, match="Expecting"):
        json_lines('{"a": [1, }')
