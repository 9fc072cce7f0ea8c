"""dynatrace-agent: let AI agents investigate production incidents in Dynatrace."""

from __future__ import annotations

__version__ = "0.1.0"
