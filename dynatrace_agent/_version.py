"""The package version, in a module of its own so submodules can read it without import cycles."""

from __future__ import annotations

__version__ = "0.1.0"
