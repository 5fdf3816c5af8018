"""Registered parties (a company's customers and suppliers) and their screening state."""
