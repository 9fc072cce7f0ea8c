"""The investigation graph: problem → parallel evidence branches → analysis → synthesis → report.

``graph`` (in :mod:`graphs.investigation.graph`) is compiled without a checkpointer;
:mod:`graphs.investigation.run` holds :class:`~graphs.investigation.run.InvestigationRunner`,
the one way to run it in-process (plain or checkpointed), and
:mod:`graphs.investigation.server` the graph factory a LangGraph server serves.
"""
