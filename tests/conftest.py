"""Test-wide settings.

Hypothesis: in CI (`.ci/run` sets ``HYPOTHESIS_PROFILE=ci``) the examples are derived from each
test's name, so a run is reproducible and a failure shows again on the next run; on a developer's
machine the search stays random (and remembers what it found in ``.hypothesis/``).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

# A screen leading to a screen missing from its declared targets raises at once in tests
# (production logs it: see ``dialogs.router.STRICT_TRANSITIONS``).
import dialogs.router  # noqa: E402

dialogs.router.STRICT_TRANSITIONS = True
