"""The in-process screening engine: loaded list versions + matcher + policy."""
