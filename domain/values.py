"""Value objects shared by several fields: a postal address, a contact."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Address(BaseModel):
    """A French postal address as LHEO writes it: 1–4 lines, code postal, ville."""

    model_config = ConfigDict(frozen=True)

    lignes: tuple[str, ...]
    code_postal: str
    ville: str

    def one_line(self) -> str:
        return ", ".join([*self.lignes, f"{self.code_postal} {self.ville}"])


class Contact(BaseModel):
    """A person to contact: a name and at least a phone number or an e-mail address."""

    model_config = ConfigDict(frozen=True)

    nom: str
    prenom: str | None = None
    telephone: str | None = None
    courriel: str | None = None

    def one_line(self) -> str:
        name = " ".join(x for x in (self.prenom, self.nom) if x)
        reach = " · ".join(x for x in (self.telephone, self.courriel) if x)
        return f"{name} ({reach})" if reach else name
