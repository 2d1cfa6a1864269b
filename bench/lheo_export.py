"""Benchmark: LHEO 2.3 export and XSD validation of 100 000 actions with 2–3 sessions each.

    .venv/bin/python bench/lheo_export.py                 # 100 000 actions
    .venv/bin/python bench/lheo_export.py --actions 20000 --keep /tmp/offre.xml
    .venv/bin/python bench/lheo_export.py --invalid-every 100   # 1 % of the actions do not validate

The actions are generated in memory by a generator (never a list), spread over 500 organisations
and the five funders, with texts of realistic lengths (objectives and contents of several hundred
characters). Each phase runs in its own process so that its peak memory (``ru_maxrss``) is its own:

1. ``export``: ``write_lheo`` of the generated actions to a file (generation time included; the
   generation alone is timed too, without writing);
2. ``validate``: ``validate_lheo`` of that file (streamed, formation by formation);
3. ``production``: ``export_lheo``, what the daily job runs: each action validated on its own
   before it is written (an invalid one is left out), written to a temporary file while a child
   process validates the same bytes (the two cores work side by side), then rename.

``--invalid-every N`` makes every N-th action invalid (a title of 300 characters, 255 at most):
``production`` leaves those out and says how many.

Wall and CPU times are printed (the machine may be shared: CPU time is the stabler figure).
Targets on the 2-core machine: under 60 s and under 250 MB peak.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from domain.funders import Circuit, Funder
from domain.models import Action, Organisation, Session, Status
from domain.values import Address, Contact

NOW = datetime(2027, 1, 4, 5, 0, tzinfo=UTC)
ORGANISATIONS = 500
FUNDERS = tuple(Funder)
WORDS = (
    "accompagnement", "compétences", "numérique", "sécurité", "production", "hygiène", "gestion",
    "relation client", "maintenance", "logistique", "bureautique", "comptabilité", "soudure",
    "électricité", "restauration", "service à la personne", "bâtiment", "développement web",
)
TITLES = (
    "Agent de restauration", "Cuisinier en restauration collective", "Développeur web",
    "Secrétaire assistant", "Électricien d'équipement", "Agent magasinier", "Aide-soignant",
    "Comptable assistant", "Conseiller en insertion", "Soudeur TIG", "Maçon", "Plaquiste",
    "Technicien de maintenance", "Employé administratif", "Vendeur conseil", "Cariste",
)


def _make_text(seed: int, length: int) -> str:
    words: list[str] = []
    size = 0
    index = seed
    while size < length:
        word = WORDS[index % len(WORDS)]
        words.append(word)
        size += len(word) + 1
        index = index * 7 + 3
    return (" ".join(words)[:length].rstrip() + ".").capitalize()


_POOL = 97  # distinct texts per length, made once


@cache
def _pool(length: int) -> tuple[str, ...]:
    return tuple(_make_text(seed, length) for seed in range(_POOL))


def _text(seed: int, length: int) -> str:
    return _pool(length)[seed % _POOL]


def organisation(number: int) -> Organisation:
    address = Address(lignes=(f"{number} rue de la Formation",), code_postal=f"{31000 + number % 900:05d}",
                      ville=f"Ville {number}")
    contact = Contact(nom=f"Nom{number}", prenom="Camille", telephone="05 61 00 00 00",
                      courriel=f"contact{number}@organisme.fr")
    return Organisation(
        id=number, raison_sociale=f"Organisme {number}", nom_organisme=f"Organisme {number}",
        siret=f"{73282932000074 + number:014d}", numero_activite=f"{76310000000 + number:011d}",
        adresse=address, telephone="05 61 00 00 00", courriel=f"contact{number}@organisme.fr",
        site_web=f"https://organisme{number}.fr", contact=contact,
    )


_SESSION = Session(etat_recrutement="1",
                   modalites_inscription="Information collective puis entretien individuel.")


def sessions(number: int, place: Address) -> list[Session]:
    start = date(2027, 1, 11) + timedelta(days=number % 300)
    result = []
    for rank in range(2 + number % 2):
        debut = start + timedelta(days=120 * rank)
        result.append(_SESSION.model_copy(update={
            "id": number * 3 + rank, "debut": debut, "fin": debut + timedelta(days=90),
            "adresse_inscription": place, "inscription_debut": debut - timedelta(days=60),
            "inscription_fin": debut - timedelta(days=1), "places": 12 + rank,
        }))
    return result


def _base(funder: Funder) -> Action:
    extra: dict[str, object] = {}
    if funder is Funder.REGION:
        extra = {"numero_bon_commande": 1, "semestre_debut": "S1 2027"}
    return Action(
        organisation_id=1, funder=funder, status=Status.PUBLISHED, updated_at=NOW,
        codes_rome=("G1602",), objectif_general="6", parcours="1", niveau_entree="1",
        niveau_sortie="13", publics=("80001", "80003"), niveau_entree_obligatoire=False,
        modalites_enseignement="0", rythme="35 heures par semaine, du lundi au vendredi.",
        modalites_alternance="Sans alternance", entrees_sorties="0", heures_entreprise=140,
        duree_indicative="4 mois", prise_en_charge=True, acces_handicapes="Locaux accessibles.",
        places_financees=12, cofinanceurs=("3",), **extra,
    )


INVALID_EVERY = 0  # --invalid-every


def actions(count: int) -> Iterator[tuple[Action, Organisation]]:
    """``count`` published actions, generated one at a time.

    Each is a copy of a validated model of its funder with its own values (``model_copy``): the
    benchmark measures the export, not the models' validation (the storage does it on loading).
    """
    organisations = [organisation(n) for n in range(1, ORGANISATIONS + 1)]
    bases = {funder: _base(funder) for funder in FUNDERS}
    for number in range(1, count + 1):
        org = organisations[number % ORGANISATIONS]
        funder = FUNDERS[number % len(FUNDERS)]
        assert org.adresse is not None and org.contact is not None
        update: dict[str, object] = {
            "id": number, "organisation_id": org.id, "reference": f"FB-{number:06d}",
            "reference_carif": f"24_AF_{number:07d}",
            "created_at": NOW - timedelta(days=number % 400),
            "intitule": f"{TITLES[number % len(TITLES)]} — groupe {number}",
            "objectif": _text(number, 400), "resultats_attendus": _text(number + 1, 150),
            "contenu": _text(number + 2, 1200), "certifiante": number % 3 != 0,
            "certifications": ("RNCP34567",) if number % 3 != 0 else None,
            "formacodes": (f"{22000 + number % 900:05d}", "15081"),
            "contact_formation": org.contact, "url_formation": f"https://organisme.fr/f/{number}",
            "info_public": _text(number + 3, 120), "conditions_specifiques": _text(number + 4, 200),
            "lieu_formation": org.adresse, "heures_centre": 400 + number % 300,
            "prix_total": Decimal(4000 + number % 1000), "sessions": sessions(number, org.adresse),
        }
        if funder is Funder.REGION:
            update["numero_marche"] = f"2027-{number % 97:03d} lot {number % 7}"
        elif funder.circuit is Circuit.JUSTIFICATION:
            update["reference_convention"] = f"CONV-2027-{number:06d}"
        if INVALID_EVERY and number % INVALID_EVERY == 0:
            update["intitule"] = "x" * 300
        yield bases[funder].model_copy(update=update), org


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu() -> float:
    """CPU seconds of this process and of its finished children (the parallel validator)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _children_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def phase_generate(count: int) -> dict[str, float]:
    start, cpu = time.perf_counter(), _cpu()
    sessions_count = sum(len(a.sessions) for a, _ in actions(count))
    return {"seconds": time.perf_counter() - start, "cpu": _cpu() - cpu,
            "sessions": sessions_count, "peak_mb": _rss_mb()}


def phase_export(count: int, out: Path) -> dict[str, float]:
    from storage.lheo.export import write_lheo

    start, cpu = time.perf_counter(), _cpu()
    report = write_lheo(out, actions(count), now=NOW)
    return {"seconds": time.perf_counter() - start, "cpu": _cpu() - cpu,
            "formations": report.formations, "sessions": report.sessions,
            "bytes": out.stat().st_size, "peak_mb": _rss_mb()}


def phase_validate(out: Path) -> dict[str, float]:
    from storage.lheo.validate import validate_lheo

    start, cpu = time.perf_counter(), _cpu()
    report = validate_lheo(out)
    if not report.valid and not INVALID_EVERY:
        raise SystemExit("\n".join(str(i) for i in report.issues[:10]))
    return {"seconds": time.perf_counter() - start, "cpu": _cpu() - cpu,
            "formations": report.formations, "peak_mb": _rss_mb()}


def phase_production(count: int, out: Path) -> dict[str, float]:
    """``export_lheo``: write + validation in a child process at the same time + rename."""
    from storage.lheo.validate import export_lheo

    start, cpu = time.perf_counter(), _cpu()
    report = export_lheo(out, actions(count), NOW)
    return {"seconds": time.perf_counter() - start, "cpu": _cpu() - cpu,
            "formations": report.formations, "left_out": len(report.left_out),
            "peak_mb": _rss_mb(), "child_peak_mb": _children_rss_mb()}


def _child(phase: str, count: int, out: Path) -> dict[str, float]:
    command = [sys.executable, __file__, "--phase", phase, "--actions", str(count), "--out", str(out),
               "--invalid-every", str(INVALID_EVERY)]
    result = subprocess.run(command, check=True, capture_output=True, text=True)
    data: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    return data


def _timed(phase: str, figures: dict[str, float], made: str) -> str:
    """One phase's line of the report: its time, wall and cpu, what it made, its memory peak."""
    return (f"  {phase:<22}: {figures['seconds']:6.1f} s (cpu {figures['cpu']:5.1f} s), {made}, "
            f"peak {figures['peak_mb']:.0f} MB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actions", type=int, default=100_000)
    parser.add_argument("--phase", choices=("generate", "export", "validate", "production"))
    parser.add_argument("--out", type=Path)
    parser.add_argument("--keep", type=Path, help="keep the exported file at this path")
    parser.add_argument("--invalid-every", type=int, default=0, metavar="N",
                        help="make every N-th action invalid (production leaves them out)")
    args = parser.parse_args()
    global INVALID_EVERY
    INVALID_EVERY = args.invalid_every

    phases = {  # one phase in this process, its figures as JSON on stdout
        "generate": lambda: phase_generate(args.actions),
        "export": lambda: phase_export(args.actions, args.out),
        "validate": lambda: phase_validate(args.out),
        "production": lambda: phase_production(args.actions, args.out),
    }
    if args.phase in phases:
        print(json.dumps(phases[args.phase]()))
        return 0

    with tempfile.TemporaryDirectory() as tmp:
        out = args.keep or Path(tmp) / "offre.xml"
        print(f"LHEO export benchmark: {args.actions} actions, {os.cpu_count()} CPU(s), "
              f"load average {os.getloadavg()[0]:.1f}")
        generate = _child("generate", args.actions, out)
        print(_timed("generation alone", generate, f"{int(generate['sessions'])} sessions"))
        export = _child("export", args.actions, out)
        print(_timed("1. export (write)", export, f"{export['bytes'] / 1e6:.0f} MB written"))
        validate = _child("validate", args.actions, out)
        print(_timed("2. XSD validation", validate, f"{int(validate['formations'])} formations"))
        production = _child("production", args.actions, out)
        peak = max(production["peak_mb"], production["child_peak_mb"])
        verdict = "OK" if production["seconds"] < 60 and peak < 250 else "OVER TARGET"
        print(f"  3. export_lheo (1 ∥ 2): {int(production['formations'])} written, "
              f"{int(production['left_out'])} left out")
        print(f"     export_lheo (1 ∥ 2): {production['seconds']:6.1f} s "
              f"(cpu {production['cpu']:5.1f} s, both processes), peak {production['peak_mb']:.0f} "
              f"MB + validator {production['child_peak_mb']:.0f} MB — target < 60 s, < 250 MB: "
              f"{verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
