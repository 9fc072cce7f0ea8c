"""Subcommands of the CLI, one module per area; each exposes ``register(subparsers)``.

A handler is stored with ``parser.set_defaults(handler=fn)``; ``fn(args) -> int`` returns
the exit status. Commands that run the graph or the evaluation import ``graphs``/``evals``
lazily by name, so the library itself never imports them.
"""
