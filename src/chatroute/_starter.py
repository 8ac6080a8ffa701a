"""The starter files ``chatroute init`` writes: a commented config and a scenario for a small desk.

The scenario's ``[config]`` is the same desk as the config file, so the two agree.
"""

from __future__ import annotations

import re

__all__ = ["CONFIG", "scenario"]

CONFIG = """\
# A routing set-up for a small desk, written by `chatroute init`. Edit it, then run
#   chatroute check desk.toml
# Durations are written "30s", "5m" or "1h30m"; `chatroute schema config` prints a
# JSON Schema that editors (Even Better TOML, VS Code) use to complete and check keys.

# Each operator takes at most this many chats at once, unless they have a limit of their own.
default_limit = 3
# How a group hands out chats: "even" (least loaded first), "longest_idle",
# "round_robin", "most_available", or "manual_pool" (operators pick chats themselves).
strategy = "even"
# When an operator goes offline, their open chats go back to the queue after a minute,
# so a flapping connection does not reshuffle them. offline = "keep" keeps them instead.
offline = { requeue_after = "1m" }
# Chats that no rule sends anywhere go here: a group, "everyone" or an operator.
fallback = { group = "support" }

# Where chats come from. Priority 1 is served first; a waiting chat turns yellow after
# `warn` and red after `critical`.
[[channels]]
name = "site"
sla = { warn = "30s", critical = "1m" }

[[channels]]
name = "email"
priority = 2
carries_ip = false
sla = { warn = "15m", critical = "1h" }

# The people who answer. Skills are levels 1..10; a dialog may require one.
[[operators]]
id = "anna"
name = "Anna"
skills = { billing = 7 }

[[operators]]
id = "ben"
name = "Ben"

[[operators]]
id = "carla"
name = "Carla"
limit = 2

# Departments. A group may also take only some channels, regions or pages:
#   channels = ["site"]
#   regions = { include = ["DE", "AT"] }      (or exclude, not both)
#   pages = { include = ["*/pricing*"], exclude = ["*/jobs*"] }
[[groups]]
id = "sales"
name = "Sales"
operator_ids = ["anna", "ben"]

[[groups]]
id = "support"
name = "Support"
operator_ids = ["ben", "carla"]

# Rules are tried in order; the first that matches sends the chat to its target:
# { group = "..." }, { operator = "..." }, "everyone" or "preferred" (the client's own
# operator). Conditions combine with and: { topic = ["order"], channel = "site" };
# { any = [...] } is or, { not = {...} } is not.
[[rules]]
name = "orders"
when = { topic = ["order", "pricing"] }
to = { group = "sales" }
# Nobody in sales free for two minutes: anyone free may take it.
escalate = [{ after = "2m", to = "everyone" }]

[[rules]]
name = "email"
when = { channel = "email" }
to = { group = "support" }
"""

_SCENARIO_HEAD = """\
# A day of simulated traffic for the desk in desk.toml, written by `chatroute init`:
#   chatroute simulate scenario.toml
#   chatroute simulate scenario.toml --compare config,even,longest-idle
#   chatroute staff scenario.toml --target 80/30
# The [config] below is the desk of desk.toml: keep the two in step when you edit one.

name = "Small desk"
description = "three operators, sales and support, site chat and email"
timezone = "Europe/Berlin"
start = 2026-03-02T09:00:00
hours = 8
seed = 1
compare = ["config", "even", "longest-idle"]

[traffic]
# Seconds: a number is the mean of an exponential; lognormal takes a sigma too.
handle_time = { distribution = "lognormal", mean = 300, sigma = 0.6 }
patience = { distribution = "exponential", mean = 240 }

# Dialogs per hour, shaped over the day by a profile ("office", "flat", "evening-peak").
[[traffic.arrivals]]
channel = "site"
topic = "order"
rate = 10
profile = "office"

[[traffic.arrivals]]
channel = "site"
topic = "help"
rate = 8
profile = "office"

[[traffic.arrivals]]
channel = "email"
topic = "help"
rate = 3
profile = "flat"

# Who works when; breaks put an operator "away".
[[shifts]]
operators = ["anna", "ben", "carla"]
start = "09:00"
end = "17:00"
breaks = [{ at = "12:30", minutes = 30 }]

[config]
"""

_HEADER = re.compile(r"^(\[\[?)\s*", re.MULTILINE)


def scenario() -> str:
    """The starter scenario: traffic and shifts, then :data:`CONFIG` as its ``[config]`` table."""
    body = CONFIG.split("\n", 4)[4]  # without the config file's own opening comment
    return _SCENARIO_HEAD + _HEADER.sub(r"\1config.", body)
