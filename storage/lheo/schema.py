"""The LHEO 2.3 schema shipped with the package and its namespaces."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

from lxml import etree

LHEO_NS = "http://lheo.gouv.fr/2.3"
LHEO_22_NS = "http://www.lheo.org/2.2"
XSD_NS = "http://www.w3.org/2001/XMLSchema"
XSD_RESOURCE = "lheo-2.3.xsd"
# The Formacode version of the codes formabot collects (formacodes, publics visés).
FORMACODE_VERSION = "V14"
# ``<extras info="formabot">``: where formabot writes what LHEO has no element for.
EXTRAS_INFO = "formabot"


def q(name: str) -> str:
    """The qualified (Clark) name of an LHEO 2.3 element."""
    return f"{{{LHEO_NS}}}{name}"


def local_name(tag: object) -> str:
    """``{ns}name`` → ``name`` (comments and processing instructions give an empty string)."""
    if not isinstance(tag, str):
        return ""
    return tag.rpartition("}")[2]


def xsd_bytes() -> bytes:
    """The XSD shipped as package data (``storage/data``)."""
    try:
        return resources.files("storage").joinpath("data", XSD_RESOURCE).read_bytes()
    except (NotADirectoryError, FileNotFoundError):
        # An editable install made while ``storage`` had no ``__init__`` maps it as a namespace
        # package that importlib.resources cannot read from outside the checkout.
        return (Path(__file__).resolve().parents[1] / "data" / XSD_RESOURCE).read_bytes()


@cache
def lheo_schema() -> etree.XMLSchema:
    """The compiled LHEO 2.3 XSD (compiled once per process)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.XMLSchema(etree.fromstring(xsd_bytes(), parser))


@cache
def sequence_order(element: str) -> tuple[str, ...]:
    """The children of ``element`` in the order of its XSD sequence (local names)."""
    root = etree.fromstring(xsd_bytes())
    subtype = root.find(f"{{{XSD_NS}}}complexType[@name='{element}-subtype']")
    if subtype is None:
        return ()
    sequence = subtype.find(f"{{{XSD_NS}}}sequence")
    if sequence is None:
        return ()
    return tuple(
        str(child.get("ref")).partition(":")[2] for child in sequence.iter(f"{{{XSD_NS}}}element")
    )
