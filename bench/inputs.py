"""Benchmark: the inputs a person needs for one Région action with two sessions (issue 16).

    .venv/bin/python bench/inputs.py            # both paths, the counts, the comparison
    .venv/bin/python bench/inputs.py --json     # the same as one JSON line

The real bot runs against the fake Bot API (``tests.fakebotapi``) on a temporary SQLite file; two
members of one organisation (complete fiche) enter the same reference action — the kind the guide
describes: titre professionnel, Formacode, ROME, contact, publics, lieu, prix, marché, bon de
commande n° 1, semestre; two sessions with their dates, lieu (adresse d'inscription), places and
modalités — each by one path, from the menu to « Oui, je confirme »:

- **questions**: question by question, as a person would, with the shortcuts the screens show
  (the fiche's contact and address, « Aucune », « Sans alternance », « ⏭ Passer les questions
  facultatives de cette partie » where the rest of a part is not in the data, « Passer » otherwise;
  and, when the bot offers them, both dates in one answer and « Comme la session n° 1, sauf les
  dates »);
- **template**: « 📋 Tout saisir en un message » (one message for the general data), « 📋 Saisir
  les sessions en un message » (one message, one block per session), then the taps to finish and
  confirm.

Printed beside them: the web form's count for the same data (``web_form_inputs``). An input is a
typed message or a tap on a button; linking the account (``/start CODE``) is not
counted. Printed: typed answers, taps and their sum for each path, whether the two stored actions
are identical (every field but identity, references and time stamps), and whether the action is
valid LHEO 2.3 (written by the exporter and validated against the XSD). Targets (issue 16):
questions ≤ 50, template ≤ 12, identical, valid.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from domain.catalogue import ACTION_FIELDS, SESSION_FIELDS, FieldSpec, Kind
from domain.funders import Funder
from domain.models import Action, Organisation
from domain.template_entry import build, session_header
from tests.e2e.reliability_support import database, member_code, stored_actions
from tests.e2e.support import Player, new_link_code, running_bot, settings_for
from tests.fakebotapi import FakeBotApi

SKIP_PART = "⏭ Passer les questions facultatives de cette partie"
LIKE_PREVIOUS = "➕ Comme la session n° 1"
# What the person gives, field by field: a typed text, or the label of the button they tap.
ORG_ADDRESS, ORG_CONTACT = "Adresse de l'organisme", "Contact de l'organisme"
GENERAL: dict[str, str] = {
    "intitule": "Titre professionnel Secrétaire assistant",
    "objectif": "Acquérir les compétences du métier de secrétaire assistant : accueil, "
    "gestion administrative, commerciale et des ressources humaines.",
    "resultats_attendus": "Titre professionnel Secrétaire assistant (niveau 4).",
    "contenu": "Module 1 : assister une équipe dans la communication des informations.\n"
    "Module 2 : traiter les opérations administratives liées à la gestion commerciale.",
    "certifiante": "Oui",
    "certifications": "RNCP36804",
    "formacodes": "35054",
    "codes_rome": "M1607",
    "parcours": "individualisé",
    "niveau_entree": "sans niveau spécifique",
    "contact_formation": ORG_CONTACT,
    "publics": "Public sans emploi, Demandeur d'emploi",
    "niveau_entree_obligatoire": "Non",
    "conditions_specifiques": "Aucune",
    "modalites_enseignement": "formation entièrement présentielle",
    "rythme": "35 heures par semaine, du lundi au vendredi",
    "modalites_alternance": "Sans alternance",
    "entrees_sorties": "entrées/sorties à dates fixes",
    "lieu_formation": ORG_ADDRESS,
    "heures_centre": "1 200",
    "prix_total": "4 500",
    "prise_en_charge": "Oui",
    "places_financees": "12",
    "numero_marche": "2027-014 lot 3",
    "numero_bon_commande": "1",
    "semestre_debut": "S1 2027",
}
SESSIONS: list[dict[str, str]] = [
    {
        "debut": "15/03/2027",
        "fin": "30/10/2027",
        "adresse_inscription": ORG_ADDRESS,
        "places": "12",
        "modalites_inscription": "Information collective puis entretien individuel.",
    },
    {
        "debut": "05/04/2027",
        "fin": "15/11/2027",
        "adresse_inscription": ORG_ADDRESS,
        "places": "12",
        "modalites_inscription": "Information collective puis entretien individuel.",
    },
]
TAPPED = {ORG_ADDRESS, ORG_CONTACT, "Aucune", "Sans alternance"}
# Not compared: who and when, not what.
IDENTITY = {"id", "reference", "version", "created_at", "updated_at", "confirmed_at"}


class Counting(Player):
    """The e2e player, counting what the person does: typed messages and taps."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.typed = 0
        self.taps = 0

    async def say(self, text: str, *, screen: bool = True) -> str:
        self.typed += 1
        return await super().say(text, screen=screen)

    async def press(self, label: str) -> str:
        self.taps += 1
        return await super().press(label)

    @property
    def inputs(self) -> int:
        return self.typed + self.taps


def _both_dates_in_one_answer() -> bool:
    """Whether « Date de début » takes both dates (issue 16 item 3, when merged)."""
    from domain.parsing import dates

    return hasattr(dates, "split_period")


async def _answer(person: Counting, spec: FieldSpec, data: dict[str, str]) -> None:
    value = data.get(spec.key)
    if value is None:
        # The part's optional questions all passed at once, unless a later one is in the data.
        await person.press(
            SKIP_PART if SKIP_PART in person.labels and not _later_in_part(spec, data) else "Passer"
        )
    elif spec.key == "debut" and _both_dates_in_one_answer():
        await person.say(f"du {value} au {data['fin']}")
    elif value in TAPPED or spec.kind in (Kind.YESNO, Kind.CHOICE, Kind.SEMESTER):
        await person.press(value)
    else:
        await person.say(value)
    assert "⚠" not in person.text, person.text


def _later_in_part(spec: FieldSpec, data: dict[str, str]) -> bool:
    part = (
        SESSION_FIELDS
        if spec in SESSION_FIELDS
        else tuple(f for f in ACTION_FIELDS if f.group == spec.group)
    )
    return any(f.key in data for f in part[part.index(spec) + 1 :])


async def _questions(person: Counting, data: dict[str, str], *, limit: int = 60) -> None:
    for _ in range(limit):
        spec = person.current_field()
        if spec is None:
            if any(label.startswith("✅ Valider la session") for label in person.labels):
                await person.press("✅ Valider la session")  # a session taken over: checked once
            return
        await _answer(person, spec, data)
    raise AssertionError("the form never ended")


async def question_path(person: Counting) -> None:
    await person.press("➕ Créer une action")
    await person.press("Région")
    await _questions(person, GENERAL)
    for number, session in enumerate(SESSIONS, start=1):
        like = [label for label in person.labels if label.startswith(LIKE_PREVIOUS)]
        if number > 1 and like:
            await person.press(like[0])
            await _questions(person, {k: session[k] for k in ("debut", "fin")})
        else:
            await person.press(f"➕ Ajouter la session n° {number}")
            await _questions(person, session)
    await _finish(person)


async def _finish(person: Counting) -> None:
    await person.press("Terminer votre saisie")
    await person.press("✅ Confirmer (valider la proposition)")
    await person.press("✅ Oui, je confirme")
    assert "confirmée" in person.text, person.text


def _written(spec: FieldSpec, value: str, organisation: Organisation) -> str:
    """What the person writes in the template for ``value`` (a tap's value written out)."""
    if value == ORG_ADDRESS:
        address = organisation.adresse
        assert address is not None
        return "\n".join([*address.lignes, f"{address.code_postal} {address.ville}"])
    if value == ORG_CONTACT:
        contact = organisation.contact
        assert contact is not None
        return ", ".join(
            x
            for x in (
                f"{contact.nom} {contact.prenom or ''}".strip(),
                contact.telephone,
                contact.courriel,
            )
            if x
        )
    return value


def filled(specs: tuple[FieldSpec, ...], data: dict[str, str], organisation: Organisation) -> str:
    """The template of ``specs`` as the bot shows it, each line followed by the person's answer."""
    by_line = {line: spec for spec in specs for line in build((spec,)).splitlines()}
    out = []
    for line in build(specs).splitlines():
        value = data.get(by_line[line].key)
        out.append(f"{line} {_written(by_line[line], value, organisation)}" if value else line)
    return "\n".join(out)


async def template_path(person: Counting, organisation: Organisation) -> None:
    await person.press("➕ Créer une action")
    await person.press("Région")
    await person.press("📋 Tout saisir en un message")
    general = tuple(f for f in ACTION_FIELDS if f.funders is None or Funder.REGION in f.funders)
    await person.say(filled(general, GENERAL, organisation))
    assert "Sessions de formation" in person.text, person.text
    await person.press("📋 Saisir les sessions en un message")
    blocks = [
        f"{session_header(n)}\n{filled(SESSION_FIELDS, s, organisation)}"
        for n, s in enumerate(SESSIONS, start=1)
    ]
    await person.say("\n\n".join(blocks))
    assert "Session n° 2" in person.text and "⚠" not in person.text, person.text
    await _finish(person)


def web_form_inputs() -> int:
    """The same data through the web form the bot replaces (``FIELDS.md``): one input per field
    given (a typed text, a choice, the « Contact de l'organisme » / « Adresse de l'organisme » /
    « Aucune » / « Sans alternance » buttons; a tick per public), « Ajouter une session » each, the
    creation (create, funder) and the end (terminer, confirmer, the confirmation); optional fields
    left empty and defaults cost nothing there."""
    publics = len(GENERAL["publics"].split(", "))
    general = len(GENERAL) - 1 + publics
    return 2 + general + sum(1 + len(session) for session in SESSIONS) + 3


def comparable(action: Action) -> dict[str, Any]:
    return action.model_dump(
        mode="json", exclude={**dict.fromkeys(IDENTITY, True), "sessions": {"__all__": {"id"}}}
    )


def lheo_valid(action: Action, organisation: Organisation, directory: Path) -> list[str]:
    """The schema's objections to the action as the exporter writes it (none: valid)."""
    from storage.lheo.export import write_lheo
    from storage.lheo.validate import validate_lheo

    path = directory / "action.xml"
    write_lheo(path, [(action, organisation)], now=datetime.now(UTC))
    return [issue.message for issue in validate_lheo(path).issues]


@dataclass
class Result:
    questions: tuple[int, int]
    template: tuple[int, int]
    identical: bool
    differences: list[str]
    lheo_issues: list[str]
    shortcuts: dict[str, bool]

    def as_dict(self) -> dict[str, Any]:
        return {
            "questions": {
                "typed": self.questions[0],
                "taps": self.questions[1],
                "inputs": sum(self.questions),
            },
            "template": {
                "typed": self.template[0],
                "taps": self.template[1],
                "inputs": sum(self.template),
            },
            "identical": self.identical,
            "differences": self.differences,
            "lheo_valid": not self.lheo_issues,
            "lheo_issues": self.lheo_issues,
            "shortcuts": self.shortcuts,
            "web_form": web_form_inputs(),
        }


async def measure(directory: Path) -> Result:
    async with FakeBotApi() as api:
        settings = settings_for(api, directory / "bench.db")
        organisation_id, code = await new_link_code(settings)
        second = await member_code(settings.database_url, organisation_id)
        async with database(settings.database_url) as factory, factory() as uow:
            organisation = await uow.organisations.get(organisation_id)
        assert organisation is not None
        async with running_bot(settings):
            asking = Counting(api.user(1001, "Claire"))
            pasting = Counting(api.user(1002, "Denis"))
            await asking.command("start", code)
            await pasting.command("start", second)
            await question_path(asking)
            await template_path(pasting, organisation)
            like_previous = any(
                t.startswith(LIKE_PREVIOUS) for m in asking.user.messages for t in m.button_texts
            )
        actions = sorted(
            (await stored_actions(settings.database_url)).values(), key=lambda a: a.id or 0
        )
    one, two = (comparable(a) for a in actions)
    differences = [
        f"{key}: {one.get(key)!r} ≠ {two.get(key)!r}"
        for key in sorted(set(one) | set(two))
        if one.get(key) != two.get(key)
    ]
    return Result(
        questions=(asking.typed, asking.taps),
        template=(pasting.typed, pasting.taps),
        identical=not differences,
        differences=differences,
        lheo_issues=lheo_valid(actions[0], organisation, directory),
        shortcuts={
            "both_dates_in_one_answer": _both_dates_in_one_answer(),
            "like_previous_session": like_previous,
        },
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="one JSON line")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        result = asyncio.run(measure(Path(tmp)))
    if args.json:
        print(json.dumps(result.as_dict(), ensure_ascii=False))
        return
    for name, (typed, taps), target in (
        ("question by question", result.questions, 50),
        ("template", result.template, 12),
    ):
        print(f"{name:21} {typed + taps:3} inputs ({typed} typed, {taps} taps)   target ≤ {target}")
    print(f"{'web form (FIELDS.md)':21} {web_form_inputs():3} inputs for the same data")
    print(
        f"identical stored actions: {'yes' if result.identical else 'NO: ' + ', '.join(result.differences)}"
    )
    print(f"LHEO 2.3 (XSD): {'valid' if not result.lheo_issues else '; '.join(result.lheo_issues)}")
    print(
        "shortcuts of issue 16 available: "
        + ", ".join(f"{k}={v}" for k, v in result.shortcuts.items())
    )


if __name__ == "__main__":
    main()
