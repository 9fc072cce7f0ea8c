"""``python -m dynatrace_agent`` runs the command line."""

from __future__ import annotations

import sys

from dynatrace_agent.cli import main

sys.exit(main())
