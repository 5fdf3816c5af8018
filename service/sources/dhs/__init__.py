"""Department of Homeland Security lists: the UFLPA Entity List (official page and manual CSV)."""
