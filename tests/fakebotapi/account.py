"""The bot's own account: getMe, its command menus, close and logOut.

``AccountMixin`` answers getMe from the token and the names given to ``FakeBotApi``, keeps the
commands set by setMyCommands per (scope, language) with Telegram's checks (``commands_for()``
reads them), and records close / logOut in ``closed`` / ``logged_out``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from .protocol import Params, bad_request
from .state import ServerState

_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")


class AccountMixin(ServerState):
    """getMe, setMyCommands / getMyCommands / deleteMyCommands, close, logOut."""

    def _init_account(self) -> None:
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.closed = False
        self.logged_out = False

    def commands_for(
        self, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, Any]]:
        """The commands set by the bot for ``scope`` (default scope when None)."""
        key = json.dumps(scope or {"type": "default"}, sort_keys=True)
        return self.commands.get((key, language_code), [])

    def _get_me(self, params: Params) -> dict[str, Any]:
        return {
            **self.bot_user_json(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _set_my_commands(self, params: Params) -> bool:
        commands = params.json("commands")
        if not isinstance(commands, list):
            raise bad_request("can't parse commands JSON object")
        if len(commands) > 100:
            raise bad_request("too many commands specified")
        checked: list[dict[str, Any]] = []
        for command in commands:
            if not isinstance(command, dict):
                raise bad_request("can't parse BotCommand")
            name = command.get("command")
            description = command.get("description")
            if not isinstance(name, str) or not _COMMAND_RE.fullmatch(name.removeprefix("/")):
                raise bad_request("BOT_COMMAND_INVALID")
            if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
            checked.append({"command": name.removeprefix("/"), "description": description})
        self.commands[self._commands_key(params)] = checked
        return True

    @staticmethod
    def _commands_key(params: Params) -> tuple[str, str]:
        scope = params.json("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), params.str("language_code", "") or ""

    def _get_my_commands(self, params: Params) -> list[dict[str, Any]]:
        return self.commands.get(self._commands_key(params), [])

    def _delete_my_commands(self, params: Params) -> bool:
        self.commands.pop(self._commands_key(params), None)
        return True

    def _close(self, params: Params) -> bool:
        self.closed = True
        return True

    def _log_out(self, params: Params) -> bool:
        self.logged_out = True
        return True
