"""Fixtures of the container tests; the helpers live in containerkit.py (importable by name)."""

from containerkit import image, podman, say

__all__ = ["image", "podman", "say"]
