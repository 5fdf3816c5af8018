"""`screening bench`: measurements of the service on real data, kept apart from the service itself.

The service never imports this package; it imports the service as a client or an operator would
(command.py is the command and runs the parts; each other module is one part: core figures live
in command.py, then audit, auth, batch, items, load, rescreen and swap).
"""

from pathlib import Path

# The repository (where `python -m service.cli` runs from) and the real data beside it.
REPOSITORY = Path(__file__).resolve().parents[2]
SHARED_DATA = REPOSITORY.parent / "shared" / "data"


def percentile(samples: list[float], share: float) -> float:
    """The sample at `share` (0.5: the median) of `samples`, nearest rank, for every part's figures."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]
