"""The errors the domain raises. Every message is French: it is shown to the user as is."""

from __future__ import annotations

from dataclasses import dataclass


class DomainError(Exception):
    """Base of every error the domain raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class FieldError(DomainError):
    """One answer is not acceptable for one field: says what is wrong and what is expected."""

    def __init__(self, message: str, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing that keeps an action from being confirmed.

    ``key`` names the field (catalogue key) and ``session`` the 1-based session number when the
    problem belongs to a session; ``section`` is the catalogue section to go back to.
    """

    message: str
    key: str | None = None
    session: int | None = None
    section: str | None = None


class ActionInvalid(DomainError):
    """Raised by operations that need a complete, valid action (confirm, date update)."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(p.message for p in problems))
        self.problems = problems


class OperationRefused(DomainError):
    """An operation the lifecycle does not allow in the action's current status."""


class ChangeNotAllowed(OperationRefused):
    """A write of an organisation that its action's status does not allow (the repository refuses
    it, whatever screen asked for it). ``changed`` names what the write would have changed."""

    def __init__(self, message: str, changed: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.changed = changed


class StaleVersion(DomainError):
    """A write based on an outdated version: the caller must reload."""

    def __init__(self, message: str = "Ces données ont été modifiées entre-temps : rechargement.") -> None:
        super().__init__(message)
