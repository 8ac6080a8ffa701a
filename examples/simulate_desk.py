"""Try a routing change on a simulated day before switching it on.

Loads ``support_desk.toml`` (next to this script): a 24-hour support desk with skills
and a night shift. Compares, on the same simulated dialogs,

* the desk as configured (the technical group picks its most qualified engineer),
* the same desk with every group on LongestIdle,
* the same desk where everybody may hold four dialogs instead of two or three,

each over five simulated days (replications, with 95% confidence intervals and a
verdict on which differences are real), then asks how many operators an 80/30
service level needs, beside Erlang C, for the whole day and per four hours with 30%
shrinkage.

Run: ``python examples/simulate_desk.py``; the output is the same on every run.
"""

from __future__ import annotations

from pathlib import Path

import attrs

from chatroute import LongestIdle
from chatroute.simulate import Scenario, Variant, simulate, staff, staff_intervals

scenario = Scenario.load(Path(__file__).resolve().parent / "support_desk.toml")
config = scenario.config
wider = attrs.evolve(config, operators=[attrs.evolve(op, limit=4) for op in config.operators])

compared = ["config", LongestIdle(), Variant(name="limit 4", config=wider)]
report = simulate(scenario, compared, replications=5)
print(report.render())

levels = {run.name: report.estimate(run.name, "service_level") for run in report.runs}
best, level = max(((name, e) for name, e in levels.items() if e is not None), key=lambda item: item[1].mean)
print()
print(f"best mean service level: {best} ({level.mean:.1%} ± {level.half_width:.1%})")
print()
print(staff(scenario, "80/30").render())
print()
print(staff_intervals(scenario, "80/30", interval="4h", shrinkage="30%", replications=2).render())
