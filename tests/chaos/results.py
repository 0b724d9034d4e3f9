"""Each chaos experiment's measured figures: printed, and written as JSON for the chaos report.

The shape is the one :mod:`liturgia.release.chaos` reads (``liturgia chaos report``): one file
``<experiment>.json`` per experiment in the folder ``$LITURGIA_CHAOS_OUT`` when it is set::

    {"experiment": str, "fault": str, "duration_s": float, "load": str,
     "availability": float, "time_to_recover_s": float | null,
     "acknowledged": int, "lost": int}
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from liturgia._internal.files import atomic_write_text


def record_result(
    *,
    experiment: str,
    fault: str,
    duration_s: float,
    load: str,
    availability: float,
    time_to_recover_s: float | None,
    acknowledged: int,
    lost: int,
    **more: Any,
) -> dict[str, Any]:
    """Print the figures (one JSON line on stdout) and write them to ``$LITURGIA_CHAOS_OUT``.

    ``more`` adds keys the report ignores (e.g. what the circuit breaker saved).
    """
    result: dict[str, Any] = {
        "experiment": experiment,
        "fault": fault,
        "duration_s": round(duration_s, 3),
        "load": load,
        "availability": round(availability, 5),
        "time_to_recover_s": None if time_to_recover_s is None else round(time_to_recover_s, 3),
        "acknowledged": acknowledged,
        "lost": lost,
        **more,
    }
    text = json.dumps(result, sort_keys=True)
    print(f"chaos result: {text}")
    folder = os.environ.get("LITURGIA_CHAOS_OUT")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        atomic_write_text(Path(folder) / f"{experiment}.json", text + "\n")
    return result
