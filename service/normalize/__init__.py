"""Name and country normalisation: small pure functions, computed once per list version where possible."""
