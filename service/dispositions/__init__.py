"""Reviewer dispositions: cleared (false positive) and confirmed (party, listed entry) pairs."""
