"""Demo data: an organisation and a few actions in every status, so a newcomer sees everything.

It goes into its own database (``FORMABOT_DEMO_DATABASE_URL``, ``formabot-demo.db``), never into a
database holding anything else (``holds_other_data``) unless forced: its published actions would
reach the public LHEO export. Its SIRET is fictional (SIREN 999 999 998), not the README's example.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, or_, select

from domain.funders import Circuit, Funder
from domain.models import Action, Organisation, Session, Status
from domain.ports import BotUnitOfWork, Membership, Role
from domain.values import Address, Contact

DEMO_USER_ID = 1  # the console's default user
DEMO_SIRET = "99999999800001"  # fictional; the README's example is 732 829 320 00074
ADDRESS = Address(lignes=("12 rue des Lilas",), code_postal="31000", ville="Toulouse")
CONTACT = Contact(nom="Martin", prenom="Claire", telephone="05 61 00 00 00", courriel="claire.martin@demo-formation.fr")


def demo_organisation() -> Organisation:
    return Organisation(
        raison_sociale="Organisme de démonstration SARL",
        nom_organisme="Organisme de démonstration",
        siret=DEMO_SIRET,
        numero_activite="76310123456",
        adresse=ADDRESS,
        telephone="05 61 00 00 00",
        courriel="contact@demo-formation.fr",
        site_web="https://www.demo-formation.fr",
        contact=CONTACT,
    )


def _semester(day: date) -> str:
    return f"S{1 if day.month <= 6 else 2} {day.year}"


def _action(org_id: int, funder: Funder, title: str, start: date, status: Status, **extra: object) -> Action:
    end = start + timedelta(days=120)
    data: dict[str, object] = {
        "organisation_id": org_id, "funder": funder, "status": status,
        "intitule": title,
        "objectif": "Acquérir les compétences du métier et se préparer à la certification.",
        "resultats_attendus": "Titre professionnel de niveau 4.",
        "contenu": "Module 1 : fondamentaux.\nModule 2 : pratique en atelier.\nModule 3 : stage.",
        "certifiante": True, "certifications": ("RNCP34567",), "formacodes": ("22435",),
        "codes_rome": ("H2913",), "objectif_general": "6", "parcours": "1", "niveau_entree": "1",
        "niveau_sortie": "14", "contact_formation": CONTACT, "publics": ("80006",),
        "niveau_entree_obligatoire": False, "conditions_specifiques": "Aucune",
        "modalites_enseignement": "0", "rythme": "35 heures par semaine", "modalites_alternance": "Sans alternance",
        "entrees_sorties": "0", "lieu_formation": ADDRESS, "heures_centre": 420, "heures_entreprise": 140,
        "duree_indicative": "4 mois", "prix_total": Decimal("4500.00"), "prise_en_charge": True,
        "places_financees": 12,
        "sessions": [Session(debut=start, fin=end, adresse_inscription=ADDRESS, etat_recrutement="1", places=12)],
    }
    if funder.purchase_order:
        data.update(numero_marche="2027-014 lot 3", numero_bon_commande=1, semestre_debut=_semester(start))
    if funder.circuit is Circuit.JUSTIFICATION:
        data.update(reference_convention="CONV-2027-0042")
    data.update(extra)
    return Action.model_validate(data)


async def holds_other_data(uow: BotUnitOfWork) -> bool:
    """Whether the database holds anything besides the demo: another organisation, a link of
    another person, or a link code (the demo creates none)."""
    from storage.tables import link_codes, members, organisations

    conn = uow.connection  # type: ignore[attr-defined]
    others = await conn.execute(select(func.count()).select_from(organisations).where(
        or_(organisations.c.siret.is_(None), organisations.c.siret != DEMO_SIRET)))
    people = await conn.execute(select(func.count()).select_from(members).where(
        members.c.user_id != DEMO_USER_ID))
    codes = await conn.execute(select(func.count()).select_from(link_codes))
    return any(int(result.scalar_one()) > 0 for result in (others, people, codes))


async def create_demo(uow: BotUnitOfWork, today: date, user_id: int = DEMO_USER_ID) -> tuple[int, bool]:
    """The demo organisation's id, and whether it was created now (False: it was already there)."""
    existing = await uow.organisations.by_siret(DEMO_SIRET)  # type: ignore[attr-defined]
    if existing is not None:
        await uow.members.add(Membership(user_id=user_id, role=Role.MEMBER, organisation_id=existing.id), chat_id=user_id)
        return int(existing.id), False
    org = await uow.organisations.add(demo_organisation())
    assert org.id is not None
    await uow.members.add(Membership(user_id=user_id, role=Role.MEMBER, organisation_id=org.id), chat_id=user_id)
    soon = today + timedelta(days=60)
    later = today + timedelta(days=150)
    actions = [
        _action(org.id, Funder.REGION, "Soudeur TIG (brouillon)", soon, Status.DRAFT, objectif=None, sessions=[]),
        _action(org.id, Funder.POLE_EMPLOI, "Secrétaire assistant", soon, Status.SUBMITTED),
        _action(org.id, Funder.AGEFIPH, "Agent d'accueil", soon, Status.APPROVED),
        _action(org.id, Funder.POLE_EMPLOI, "Vendeur conseil", soon, Status.REFUSED, refusal_reason="Budget épuisé pour 2027."),
        _action(org.id, Funder.ETAT_EMPLOI, "Français langue étrangère", later, Status.RETURNED,
                staff_comment="Précisez le rythme hebdomadaire."),
        _action(org.id, Funder.REGION, "Électricien d'équipement", later, Status.PUBLISHED, reference_carif="CO-DEMO-0001"),
        _action(org.id, Funder.REGION, "Maçon VRD", today + timedelta(days=7), Status.PUBLISHED, reference_carif="CO-DEMO-0002"),
        _action(org.id, Funder.REGION, "Cariste (archivée)", today - timedelta(days=200), Status.ARCHIVED,
                reference_carif="CO-DEMO-0000", archived_on=today - timedelta(days=60)),
    ]
    for action in actions:
        await uow.all_actions().add(action)  # seeding, whatever the status
    return org.id, True
