"""Matching: candidates from the index, scored and explained."""
