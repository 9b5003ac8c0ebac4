"""The six handprint themes (Amsterdam's social-domain themes) and the SDGs each maps to."""

THEME_CODES = (
    "werk",
    "armoedebestrijding",
    "gezondheidsbevordering",
    "participatie",
    "onderwijs",
    "gezond_opgroeien",
)

# Sustainable Development Goals served by each theme (numbers 1-17).
THEME_SDGS: dict[str, tuple[int, ...]] = {
    "werk": (8, 10),
    "armoedebestrijding": (1, 2, 10),
    "gezondheidsbevordering": (3,),
    "participatie": (10, 11, 16),
    "onderwijs": (4,),
    "gezond_opgroeien": (3, 4),
}

# A theme counts as served by an initiative from this handprint score up (search facets, recommendations).
THEME_MIN_SCORE = 20
