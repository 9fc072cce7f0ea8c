"""LangGraph graphs built on the dynatrace_agent library (the library never imports this package)."""
