"""The investigation graph: problem → parallel evidence branches → analysis → synthesis → report.

``graph`` (in :mod:`graphs.investigation.graph`) is compiled without a checkpointer for the
LangGraph server; :mod:`graphs.investigation.run` holds the in-process and checkpointed runners.
"""
