"""The state machine of the dialogs as a Mermaid diagram, generated from the declared screens."""

from __future__ import annotations

import dialogs.screens  # noqa: F401  (registers the screens)
from dialogs.router import COMMAND_SCREENS, SCREENS


def mermaid() -> str:
    lines = ["stateDiagram-v2", "    [*] --> menu: /start"]
    for command, target in sorted(COMMAND_SCREENS.items()):
        if command != "start":
            lines.append(f"    [*] --> {target}: /{command}")
    for name in sorted(SCREENS):
        for target in SCREENS[name].targets:
            if target != name:
                lines.append(f"    {name} --> {target}")
    return "\n".join(lines) + "\n"
