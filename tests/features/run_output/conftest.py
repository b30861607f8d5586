"""Fixtures of the run's output tests: the CLI scenario on a fake clock shared with cfstep."""

from __future__ import annotations
