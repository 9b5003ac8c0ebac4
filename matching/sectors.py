"""The company's sector: the sections of the Dutch Standaard Bedrijfsindeling (SBI 2008, CBS), A to U.

Plain data for the company profile (the marketplace offers these as a choice list) and for the history
features that learn what companies of a sector deliver well. A company profile stores the section's letter;
anything else counts as "unknown" (``normalise_sector`` returns "").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Sector:
    code: str  # SBI section letter
    label_nl: str
    label_en: str


SECTORS: tuple[Sector, ...] = (
    Sector("A", "Landbouw, bosbouw en visserij", "Agriculture, forestry and fishing"),
    Sector("B", "Delfstoffenwinning", "Mining and quarrying"),
    Sector("C", "Industrie", "Manufacturing"),
    Sector(
        "D",
        "Productie en distributie van en handel in elektriciteit, aardgas, stoom en gekoelde lucht",
        "Electricity, gas, steam and air conditioning supply",
    ),
    Sector(
        "E",
        "Winning en distributie van water; afval- en afvalwaterbeheer en sanering",
        "Water supply; sewerage, waste management and remediation",
    ),
    Sector("F", "Bouwnijverheid", "Construction"),
    Sector(
        "G",
        "Groot- en detailhandel; reparatie van auto's",
        "Wholesale and retail trade; repair of motor vehicles",
    ),
    Sector("H", "Vervoer en opslag", "Transportation and storage"),
    Sector("I", "Logies-, maaltijd- en drankverstrekking", "Accommodation and food service"),
    Sector("J", "Informatie en communicatie", "Information and communication"),
    Sector("K", "Financiële instellingen", "Financial institutions"),
    Sector("L", "Verhuur van en handel in onroerend goed", "Renting, buying and selling of real estate"),
    Sector(
        "M",
        "Advisering, onderzoek en overige specialistische zakelijke dienstverlening",
        "Consultancy, research and other specialised business services",
    ),
    Sector(
        "N",
        "Verhuur van roerende goederen en overige zakelijke dienstverlening",
        "Renting and leasing of tangible goods and other business support services",
    ),
    Sector(
        "O",
        "Openbaar bestuur, overheidsdiensten en verplichte sociale verzekeringen",
        "Public administration, public services and compulsory social security",
    ),
    Sector("P", "Onderwijs", "Education"),
    Sector("Q", "Gezondheids- en welzijnszorg", "Human health and social work"),
    Sector("R", "Cultuur, sport en recreatie", "Culture, sports and recreation"),
    Sector("S", "Overige dienstverlening", "Other service activities"),
    Sector(
        "T",
        "Huishoudens als werkgever; niet-gedifferentieerde productie van goederen en diensten door huishoudens "
        "voor eigen gebruik",
        "Households as employers; undifferentiated goods- and services-producing activities of households for "
        "own use",
    ),
    Sector("U", "Extraterritoriale organisaties en lichamen", "Extraterritorial organisations and bodies"),
)
SECTOR_CODES: tuple[str, ...] = tuple(s.code for s in SECTORS)
SECTOR_LABELS_NL: Mapping[str, str] = {s.code: s.label_nl for s in SECTORS}
SECTOR_LABELS_EN: Mapping[str, str] = {s.code: s.label_en for s in SECTORS}


def normalise_sector(value: str | None) -> str:
    """The SBI section letter for ``value`` ("f", " F ", "F - Bouwnijverheid" -> "F"); "" when it is none."""
    text = (value or "").strip()
    if not text:
        return ""
    code = text[0].upper()
    if code in SECTOR_LABELS_EN and (len(text) == 1 or not text[1].isalnum()):
        return code
    return ""


def sector_label(code: str, lang: str = "nl") -> str:
    """The section's label in Dutch ("nl") or English ("en"); "" for an unknown code."""
    labels = SECTOR_LABELS_EN if lang == "en" else SECTOR_LABELS_NL
    return labels.get(normalise_sector(code), "")


__all__ = [
    "SECTORS",
    "SECTOR_CODES",
    "SECTOR_LABELS_EN",
    "SECTOR_LABELS_NL",
    "Sector",
    "normalise_sector",
    "sector_label",
]
