"""The console's ``/fichier PATH`` with an LHEO catalogue: the same import as a document sent in
Telegram, through the real command line."""

from __future__ import annotations

from pathlib import Path

from tests.integration.test_console import ROOT, formabot


def test_a_catalogue_sent_from_the_console_becomes_drafts(tmp_path: Path) -> None:
    catalogue = ROOT / "tests" / "data" / "lheo" / "exemple-minimal-2.3-synthetique.xml"
    out = formabot(tmp_path, "start", stdin=f"/fichier {catalogue}\n/quitter\n")
    assert out.returncode == 0, out.stderr
    assert "Votre catalogue est importé : 1 action(s) enregistrée(s) en brouillon" in out.stdout
    assert "Développeur web et web mobile" in out.stdout
    assert "✏ Compléter n° 1 : Développeur web et web mobile" in out.stdout
