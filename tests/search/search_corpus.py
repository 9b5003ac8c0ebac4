"""The small known corpus the search tests run on (Dutch-ish initiatives and needs)."""

from __future__ import annotations

from search import Document

AMSTERDAM_NOORD = (52.400, 4.920)
SOEST = (52.173, 5.292)


def _ini(n: int, title: str, text: str, **kw: object) -> Document:
    return Document(id=f"initiative:{n}", type="initiative", title=title, text=text, initiative_id=n, **kw)  # type: ignore[arg-type]


def _need(n: int, ini: int, title: str, text: str, **kw: object) -> Document:
    return Document(id=f"need:{n}", type="need", title=title, text=text, initiative_id=ini, **kw)  # type: ignore[arg-type]


CORPUS: tuple[Document, ...] = (
    _ini(1, "Voedselbank Noord", "Wij verdelen elke week voedselpakketten aan gezinnen in Amsterdam-Noord.",
         kind="initiative", need_kinds=("goods", "hours"), themes=("armoedebestrijding",), municipality="Amsterdam",
         region="Noord", target_groups=("gezinnen_in_armoede",), eligible_for=("amsterdam",),
         lat=52.400, lon=4.920, payload={"slug": "voedselbank-noord", "open": 3}),
    _ini(2, "Taalcafé De Brug", "Nederlands oefenen bij een kop koffie, voor statushouders en nieuwkomers.",
         kind="initiative", need_kinds=("hours",), themes=("participatie", "onderwijs"), municipality="Amersfoort",
         region="Centrum", target_groups=("statushouders", "nieuwkomers"), eligible_for=("amersfoort",),
         lat=52.156, lon=5.389, payload={"slug": "taalcafe-de-brug"}),
    _ini(3, "Repair Café Soest", "Samen spullen repareren in plaats van weggooien. Elke zaterdag in het buurthuis.",
         kind="initiative", need_kinds=("goods",), themes=("participatie",), municipality="Soest", region="Centrum",
         target_groups=("ouderen",), eligible_for=("soest",), lat=52.173, lon=5.292),
    _ini(4, "Kringloopwinkel Het Anker", "Tweedehands spullen en werkervaring voor mensen met afstand tot werk.",
         kind="social_firm", need_kinds=("internship",), themes=("werk",), municipality="Baarn", region="Centrum",
         target_groups=("langdurig_werklozen",), eligible_for=("baarn", "amersfoort"), lat=52.211, lon=5.288),
    _ini(5, "Sociale Firma De Schakel", "Catering en schoonmaak met medewerkers met een beperking.",
         kind="social_firm", need_kinds=("purchase",), themes=("werk",), municipality="Amsterdam", region="Zuidoost",
         target_groups=("mensen_met_beperking",), eligible_for=("amsterdam",), lat=52.310, lon=4.970),
    _ini(6, "Pantar Werkbedrijf", "Sociaal werkbedrijf: beschut werk, detachering en leerwerkplekken.",
         kind="sw_company", themes=("werk",), municipality="Amsterdam", region="Nieuw-West",
         target_groups=("mensen_met_beperking",), eligible_for=("amsterdam",)),
    _need(11, 1, "Vrijwilligers voor de voedselbank", "Help mee met sorteren en uitdelen op zaterdag.",
          kind="initiative", need_kinds=("hours",), themes=("armoedebestrijding",), municipality="Amsterdam",
          region="Noord", target_groups=("gezinnen_in_armoede",), eligible_for=("amsterdam",),
          lat=52.401, lon=4.921, deadline="2025-02-01"),
    _need(12, 1, "Koelkast gezocht", "Een grote koelkast voor verse producten van de voedselbank.",
          kind="initiative", need_kinds=("goods",), themes=("armoedebestrijding",), municipality="Amsterdam",
          region="Noord", target_groups=("gezinnen_in_armoede",), eligible_for=("amsterdam",),
          lat=52.401, lon=4.921, deadline="2025-01-15"),
    _need(13, 2, "Gastheren voor het taalcafé", "Gezellige gastheren en gastvrouwen die koffie schenken.",
          kind="initiative", need_kinds=("hours",), themes=("participatie",), municipality="Amersfoort",
          region="Centrum", target_groups=("statushouders",), eligible_for=("amersfoort",),
          lat=52.156, lon=5.389, deadline="2025-03-10"),
    _need(14, 3, "Gereedschap voor het Repair Café", "Schroevendraaiers, soldeerbout en naaimachines.",
          kind="initiative", need_kinds=("goods",), themes=("participatie",), municipality="Soest", region="Centrum",
          target_groups=("ouderen",), eligible_for=("soest",), lat=52.173, lon=5.292),
    _need(15, 4, "Stageplek logistiek", "Een stageplek in het magazijn van de kringloop.",
          kind="social_firm", need_kinds=("internship",), themes=("werk",), municipality="Baarn", region="Centrum",
          target_groups=("langdurig_werklozen",), eligible_for=("baarn", "amersfoort"),
          lat=52.211, lon=5.288, deadline="2025-06-30"),
    _need(16, 5, "Inkoop catering", "Bestel de lunch voor uw kantoor bij De Schakel.",
          kind="social_firm", need_kinds=("purchase",), themes=("werk",), municipality="Amsterdam",
          region="Zuidoost", target_groups=("mensen_met_beperking",), eligible_for=("amsterdam",),
          lat=52.310, lon=4.970, deadline="2025-04-01"),
    _need(17, 7, "Huiswerkbegeleiding Schilderswijk", 'Begeleiding voor jongeren "18-23" en hun huiswerk <b>na school</b>.',
          kind="initiative", need_kinds=("hours",), themes=("onderwijs", "gezond_opgroeien"), municipality="Den Haag",
          region="Schilderswijk", target_groups=('jongeren "18-23"',), eligible_for=("den-haag",),
          lat=52.070, lon=4.300, deadline="2025-02-20"),
    _need(18, 1, "Chauffeur voedselbnk", "Rijden met de bus van de voedselbnk (sic) op vrijdag.",
          kind="initiative", need_kinds=("hours",), themes=("armoedebestrijding",), municipality="Amsterdam",
          region="Noord", target_groups=("gezinnen_in_armoede",), eligible_for=("amsterdam",)),
)  # fmt: skip
