"""Importers: public root-cause datasets in, incident cases (``shared/spec/incident-case.md``) out.

Each importer reads an upstream dataset folder as its authors publish it and writes one case
per labelled fault through :class:`dynatrace_agent.case.CaseWriter`, showing the data the way a
Dynatrace tenant would: a problem raised on the alerted front component when the symptom
crosses a threshold, no Davis root cause beyond that component, real Grail field names.
"""

from __future__ import annotations

from dynatrace_agent.importers.common import DatasetFormatError, ImportSummary

__all__ = ["DatasetFormatError", "ImportSummary"]
