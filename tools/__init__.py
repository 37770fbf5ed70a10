"""Developer tools for py6824 (not part of the installed labs): ``python -m tools.stress``."""
