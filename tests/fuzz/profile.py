"""Hypothesis settings of the fuzz targets: a short run in CI, a long one on demand.

``LITURGIA_FUZZ`` picks the profile (registered with Hypothesis under these names):

* ``ci`` (default): few examples per target, so ``pytest tests/fuzz`` takes well under a minute
  on 2 cores; what ``.ci/run`` runs.
* ``long``: 20,000 examples per target (hours for the whole folder)::

      LITURGIA_FUZZ=long .venv/bin/python -m pytest tests/fuzz -p no:cacheprovider -x

``LITURGIA_FUZZ_EXAMPLES=N`` sets the number of examples per target outright. Each target says
how much of the base figure it takes (``fuzz(weight)``): a target that costs a process exchange
or a file write per example takes less than one that parses bytes in memory.

The profiles are applied per target (``@fuzz()``), never loaded globally, so the property tests
elsewhere keep their own settings. Failing examples are kept in Hypothesis's database
(``.hypothesis/``, git-ignored) and replayed first on the next run; a crash found becomes a
regression test with its input written out (``@example`` or a table), as the targets here show.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

__all__ = ["fuzz"]

_SLOW_OK = [
    HealthCheck.too_slow,
    HealthCheck.data_too_large,
    HealthCheck.filter_too_much,
    HealthCheck.function_scoped_fixture,
]
settings.register_profile(
    "liturgia-fuzz-ci", max_examples=100, deadline=None, suppress_health_check=_SLOW_OK
)
settings.register_profile(
    "liturgia-fuzz-long", max_examples=20_000, deadline=None, suppress_health_check=_SLOW_OK
)
_PROFILE = "liturgia-fuzz-long" if os.environ.get("LITURGIA_FUZZ") == "long" else "liturgia-fuzz-ci"


def fuzz(weight: float = 1.0) -> settings:
    """The settings of one target: the profile's examples times ``weight`` (at least 5)."""
    base = settings.get_profile(_PROFILE)
    examples = int(os.environ.get("LITURGIA_FUZZ_EXAMPLES", base.max_examples))
    return settings(base, max_examples=max(5, int(examples * weight)))
