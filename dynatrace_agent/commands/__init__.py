"""Subcommands of the CLI, one module per area; each exposes ``register(subparsers)``.

A handler is stored with ``parser.set_defaults(handler=fn)``; ``fn(args) -> int`` returns
the exit status. Commands that run the graph or the evaluation live in the packages that
own them (``graphs/commands``, ``evals/commands.py``) and reach the CLI through the command
registry (:mod:`dynatrace_agent.commands.registry`), so the library never imports them.
"""
