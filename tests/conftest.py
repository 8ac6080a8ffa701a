"""Shared pytest set-up: Hypothesis profiles.

``HYPOTHESIS_PROFILE=ci`` (set by .ci/run) is deterministic and bounded so the whole
suite stays well under 10 minutes on 2 cores; ``dev`` (the default) explores more.
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    max_examples=60,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "dev",
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("thorough", max_examples=2000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))
