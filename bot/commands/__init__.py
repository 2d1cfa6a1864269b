"""The subcommands of ``formabot``: one module per family, each with ``register(subparsers)``.

A module registers its subcommands with ``set_defaults(handler=...)``; a handler takes the parsed
arguments and the settings and returns the exit status (it may be a coroutine function).
"""
