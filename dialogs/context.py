"""What a screen may use while handling one input: the unit of work, who the user is, the clock."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from dialogs.io import Reply
from domain.funders import Funder
from domain.models import Organisation
from domain.ports import ActionRepository, Clock, LheoFiles, Membership, Role, UnitOfWork
from domain.services.member import Member

# The guide's support address (« contactez-nous »): ``FORMABOT_SUPPORT_CONTACT`` by default.
DEFAULT_SUPPORT_CONTACT = "support@cariforef-mp.asso.fr"


@dataclass(frozen=True, slots=True)
class Principal:
    """The user behind an update, with every link they have."""

    user_id: int
    memberships: tuple[Membership, ...] = ()
    is_staff: bool = False

    @property
    def organisation_ids(self) -> list[int]:
        return [
            m.organisation_id
            for m in self.memberships
            if m.role is Role.MEMBER and m.organisation_id is not None
        ]

    @property
    def funders(self) -> list[Funder]:
        return [m.funder for m in self.memberships if m.role is Role.VALIDATOR and m.funder]

    @property
    def is_known(self) -> bool:
        return self.is_staff or bool(self.memberships)


@dataclass(slots=True)
class Context:
    uow: UnitOfWork
    principal: Principal
    clock: Clock
    reminder_days: Sequence[int] = (30, 7, 1)
    support_contact: str = DEFAULT_SUPPORT_CONTACT  # where the texts send people (the guide's « contactez-nous »)
    out: list[Reply] = field(default_factory=list)  # messages shown before the next screen
    organisation_id: int | None = None
    upload: bytes | None = None  # the bytes of the document of this input, when read (``Incoming.content``)
    lheo_files: LheoFiles | None = None  # to read an LHEO catalogue sent in the chat
    _organisation: Organisation | None = None

    def say(self, text: str) -> None:
        self.out.append(Reply(text))

    def actions(self) -> ActionRepository:
        """The actions of the user's current organisation: the scope is applied by the repository."""
        if self.organisation_id is None or self.organisation_id not in self.principal.organisation_ids:
            raise PermissionError("no organisation selected")
        return self.uow.actions_for_organisation(self.organisation_id)

    def member(self) -> Member:
        """The member operating in their current organisation (the same check as ``actions``)."""
        self.actions()
        assert self.organisation_id is not None
        return Member(self.organisation_id, self.principal.user_id)

    def know_organisation(self, organisation: Organisation | None) -> None:
        """An organisation this input already read (linking): not read a second time."""
        self._organisation = organisation

    def forget_organisation(self) -> None:
        """After the fiche was changed in this input: read it again."""
        self._organisation = None

    async def organisation(self) -> Organisation:
        """The user's organisation, read once per input (screens ask for it several times)."""
        if self.organisation_id is None:
            raise PermissionError("no organisation selected")
        if self._organisation is None or self._organisation.id != self.organisation_id:
            org = await self.uow.organisations.get(self.organisation_id)
            if org is None:
                raise PermissionError("unknown organisation")
            self._organisation = org
        return self._organisation.model_copy(deep=True)
