"""Test-wide settings.

Hypothesis: in CI (`.ci/run` sets ``HYPOTHESIS_PROFILE=ci``) the examples are derived from each
test's name, so a run is reproducible and a failure shows again on the next run; on a developer's
machine the search stays random (and remembers what it found in ``.hypothesis/``). On demand,
``HYPOTHESIS_PROFILE=long`` searches much longer (random, many more examples and steps).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", deadline=None)
# On demand (`HYPOTHESIS_PROFILE=long`): many more examples, and longer runs of the state machines
# (tests/properties/test_invariants.py takes its own bounded numbers otherwise).
settings.register_profile(
    "long", max_examples=1000, stateful_step_count=100, deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

# A screen leading to a screen missing from its declared targets raises at once in tests
# (production logs it: see ``dialogs.router.STRICT_TRANSITIONS``).
import dialogs.router  # noqa: E402

dialogs.router.STRICT_TRANSITIONS = True
