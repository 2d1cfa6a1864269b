"""The conversation as a state machine that knows nothing of Telegram.

A neutral ``Incoming`` event from a known user goes in; the new state is persisted through the
domain's ports and neutral ``Reply`` objects (HTML text, buttons in rows, an optional document) come
out. Screens are declared in ``dialogs.screens``; every word the user reads is in ``templates/``.
"""
