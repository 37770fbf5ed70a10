"""The course's mrapps, ported: each module is an app file for ``python -m mr.worker mr/apps/NAME.py``."""
