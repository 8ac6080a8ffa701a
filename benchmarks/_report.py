"""What every benchmark script writes besides its own figures: the machine, and the JSON file."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path
from typing import Any

from chatroute import __version__


def machine() -> dict[str, Any]:
    """The chatroute and Python versions and the machine a run was measured on."""
    return {
        "chatroute": __version__,
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
    }


def write_report(report: dict[str, Any], path: Path) -> None:
    """Write the report as indented JSON (creating the folder) and say where."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwrote {path} in {report['total_s']} s total")
