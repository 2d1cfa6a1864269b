"""The France Travail (Ofaa) return file: good lines, unknown references, bad lines, BOM."""

from __future__ import annotations

from pathlib import Path

import pytest

from domain.funders import Funder
from domain.models import Action
from storage.lheo.errors import LheoImportError
from storage.lheo.ofaa import read_ofaa_csv
from tests.factories import make_valid_action


def action(carif: str) -> Action:
    return make_valid_action(Funder.REGION, reference_carif=carif)


KNOWN = {"24_AF_0000001": action("24_AF_0000001"), "24_AF_0000002": action("24_AF_0000002")}


def test_good_lines_with_bom_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "ofaa.csv"
    path.write_bytes(
        "\ufeffreference_carif;reference_ofaa\r\n24_AF_0000001;OF-11\r\n"
        "24_AF_0000002 ; OF-22\r\n".encode()
    )
    result = read_ofaa_csv(path, KNOWN)
    assert [(m.line, m.reference_carif, m.reference_ofaa) for m in result.matched] == [
        (2, "24_AF_0000001", "OF-11"), (3, "24_AF_0000002", "OF-22"),
    ]
    assert result.matched[0].action is KNOWN["24_AF_0000001"]
    assert result.problems == []


def test_unknown_and_bad_lines_are_reported_with_their_numbers_the_rest_imported() -> None:
    data = (
        b"reference_carif;reference_ofaa\n"
        b"24_AF_0000001;OF-11\n"  # 2 good
        b"24_AF_9999999;OF-99\n"  # 3 unknown
        b"\n"  # 4 blank: ignored
        b"une seule colonne\n"  # 5 bad
        b"24_AF_0000002;OF-22;en trop\n"  # 6 bad
        b";OF-00\n"  # 7 bad
        b"24_AF_0000001;OF-12\n"  # 8 duplicate
        b'"24_AF_0000002";"OF-22"\n'  # 9 good (quoted)
    )
    result = read_ofaa_csv(data, lambda ref: KNOWN.get(ref))
    assert [(m.line, m.reference_ofaa) for m in result.matched] == [(2, "OF-11"), (9, "OF-22")]
    assert result.unknown == ["ligne 3 : référence Carif-Oref « 24_AF_9999999 » inconnue, ligne ignorée."]
    assert result.errors == [
        "ligne 5 : 1 champ(s) au lieu de 2 (reference_carif;reference_ofaa).",
        "ligne 6 : 3 champ(s) au lieu de 2 (reference_carif;reference_ofaa).",
        "ligne 7 : reference_carif vide.",
        "ligne 8 : référence Carif-Oref « 24_AF_0000001 » déjà donnée ligne 2.",
    ]
    assert [p.split(" :")[0] for p in result.problems] == [
        "ligne 3", "ligne 5", "ligne 6", "ligne 7", "ligne 8",
    ]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"24_AF_0000001;OF-11\n", "la première ligne doit être « reference_carif;reference_ofaa »"),
        (b"", "fichier vide"),
        ("reference_carif;reference_ofaa\nréf;é\n".encode("latin-1"), "pas en UTF-8"),
    ],
)
def test_file_refused_as_a_whole(data: bytes, expected: str) -> None:
    with pytest.raises(LheoImportError, match=expected):
        read_ofaa_csv(data, KNOWN)
