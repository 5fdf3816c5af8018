"""Evaluation harness: a labelled dataset built from the real lists, and recall / false-positive figures
for whatever matcher `ScreeningState.build` gets from the engine's default factory (`screening eval`)."""
