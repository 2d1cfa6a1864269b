"""The subcommands of ``formabot``: one module per family, each with ``register(subparsers)``.

A module registers its subcommands with ``set_defaults(handler=...)``; a handler takes the parsed
arguments and the settings and returns the exit status (it may be a coroutine function).
"""

from typing import Any

from dialogs.render import macro_text


def say(macro: str, /, **context: Any) -> str:
    """French output of the command line: the macro ``macro`` of ``dialogs/templates/cli.j2``."""
    return macro_text("cli.j2", macro, **context)
