"""The subcommands of ``formabot``: one module per family, each with ``register(subparsers)``.

A module registers its subcommands with ``set_defaults(handler=...)``; a handler takes the parsed
arguments and the settings and returns the exit status (it may be a coroutine function).
"""

from typing import Any

from dialogs.render import macros


def say(macro: str, /, **context: Any) -> str:
    """French output of the command line: the macro ``macro`` of ``dialogs/templates/cli.j2``."""
    return str(getattr(macros("cli.j2", html=False), macro)(**context)).strip("\n")
