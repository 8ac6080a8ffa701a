"""Try a routing change on a simulated day before switching it on.

Loads ``support_desk.toml`` (next to this script): a 24-hour support desk with skills
and a night shift. Compares, on the same simulated dialogs,

* the desk as configured (the technical group picks its most qualified engineer),
* the same desk with every group on LongestIdle,
* the same desk where everybody may hold four dialogs instead of two or three,

then asks how many operators an 80/30 service level needs, beside Erlang C.

Run: ``python examples/simulate_desk.py``; the output is the same on every run.
"""

from __future__ import annotations

from pathlib import Path

import attrs

from chatroute import LongestIdle
from chatroute.simulate import Scenario, Variant, simulate, staff

scenario = Scenario.load(Path(__file__).resolve().parent / "support_desk.toml")
config = scenario.config
wider = attrs.evolve(config, operators=[attrs.evolve(op, limit=4) for op in config.operators])

report = simulate(scenario, ["config", LongestIdle(), Variant(name="limit 4", config=wider)])
print(report.render())

best = max(report.runs, key=lambda run: run.overall.service_level or 0.0)
print()
print(f"best service level: {best.name} ({100 * (best.overall.service_level or 0.0):.1f}%)")
print()
print(staff(scenario, "80/30").render())
