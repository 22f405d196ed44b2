"""A stylised map of Barcelona's 10 districts, for the dashboard's district map.

Drawn the way people in Barcelona give directions: the sea (mar) at the bottom, the
Collserola hills (muntanya) at the top, the Llobregat on the left and the Besòs on the
right. Borders are simplified; neighbouring districts are built from the same corner
points, so their shared edges meet exactly. Keys are the slugs in seeds/districts.yaml.
"""

VIEWBOX = "0 0 404 330"

# Corner points, in viewBox units.
_POINT: dict[str, tuple[int, int]] = {
    # The city limit, clockwise from the top-left corner (Vallvidrera, les Planes).
    "vallvidrera": (22, 30),
    "collserola-west": (58, 12),
    "collserola": (96, 8),
    "tibidabo": (150, 16),
    "ridge-horta": (204, 26),
    "ridge-nou-barris": (258, 30),
    "collserola-east": (290, 14),
    "torre-baro": (318, 10),
    "ciutat-meridiana": (368, 24),
    "vallbona": (382, 54),
    "besos-nou-barris": (388, 90),
    "besos": (394, 134),
    "besos-sant-marti": (398, 178),
    "besos-mouth": (396, 234),
    "diagonal-mar": (350, 248),
    "poblenou": (300, 260),
    "vila-olimpica": (238, 266),
    "barceloneta": (204, 292),
    "port-vell": (184, 286),
    "drassanes": (172, 272),
    "montjuic-foot": (152, 292),
    "port": (90, 300),
    "zona-franca": (26, 290),
    "llobregat": (6, 240),
    "hospitalet": (14, 182),
    "esplugues": (30, 114),
    # Inside the city, where three districts meet (or a bend in a shared border).
    "universitat": (182, 222),
    "espanya": (136, 178),
    "sarria-road": (142, 148),
    "pedralbes": (86, 120),
    "diagonal-gracia": (176, 140),
    "vallcarca": (190, 92),
    "carmel": (232, 88),
    "sagrada-familia": (246, 136),
    "glories": (282, 148),
    "meridiana": (316, 146),
    "congres": (300, 108),
    "ciutadella": (244, 216),
}

# Each district's outline as a walk round its corner points.
_OUTLINE: dict[str, tuple[str, ...]] = {
    "ciutat-vella": (
        "universitat",
        "ciutadella",
        "vila-olimpica",
        "barceloneta",
        "port-vell",
        "drassanes",
    ),
    "eixample": (
        "universitat",
        "espanya",
        "sarria-road",
        "diagonal-gracia",
        "sagrada-familia",
        "glories",
        "ciutadella",
    ),
    "sants-montjuic": (
        "hospitalet",
        "espanya",
        "universitat",
        "drassanes",
        "montjuic-foot",
        "port",
        "zona-franca",
        "llobregat",
    ),
    "les-corts": ("hospitalet", "esplugues", "pedralbes", "sarria-road", "espanya"),
    "sarria-sant-gervasi": (
        "esplugues",
        "vallvidrera",
        "collserola-west",
        "collserola",
        "tibidabo",
        "ridge-horta",
        "vallcarca",
        "diagonal-gracia",
        "sarria-road",
        "pedralbes",
    ),
    "gracia": ("diagonal-gracia", "vallcarca", "carmel", "sagrada-familia"),
    "horta-guinardo": (
        "sagrada-familia",
        "carmel",
        "vallcarca",
        "ridge-horta",
        "ridge-nou-barris",
        "congres",
        "meridiana",
        "glories",
    ),
    "nou-barris": (
        "ridge-nou-barris",
        "collserola-east",
        "torre-baro",
        "ciutat-meridiana",
        "vallbona",
        "besos-nou-barris",
        "congres",
    ),
    "sant-andreu": ("congres", "besos-nou-barris", "besos", "besos-sant-marti", "meridiana"),
    "sant-marti": (
        "ciutadella",
        "glories",
        "meridiana",
        "besos-sant-marti",
        "besos-mouth",
        "diagonal-mar",
        "poblenou",
        "vila-olimpica",
    ),
}


def _path(points: tuple[str, ...]) -> str:
    return "M" + " L".join(f"{_POINT[p][0]} {_POINT[p][1]}" for p in points) + " Z"


# slug -> SVG path data for the district's shape.
DISTRICT_SHAPES: dict[str, str] = {slug: _path(points) for slug, points in _OUTLINE.items()}

# slug -> (x, y) centre of the district's name and value.
LABEL_AT: dict[str, tuple[float, float]] = {
    "ciutat-vella": (212, 244),
    "eixample": (210, 180),
    "sants-montjuic": (96, 226),
    "les-corts": (78, 153),
    "sarria-sant-gervasi": (110, 72),
    "gracia": (211, 116),
    "horta-guinardo": (240, 62),
    "nou-barris": (328, 58),
    "sant-andreu": (356, 130),
    "sant-marti": (330, 206),
}

# The sea below the coast, drawn behind the districts so the city reads as a coastal one.
SEA = (
    _path(
        (
            "zona-franca",
            "port",
            "montjuic-foot",
            "drassanes",
            "port-vell",
            "barceloneta",
            "vila-olimpica",
            "poblenou",
            "diagonal-mar",
            "besos-mouth",
        )
    ).removesuffix(" Z")
    + " L404 232 L404 330 L0 330 L0 294 Z"
)

# Where the sea's name goes.
SEA_LABEL_AT: tuple[float, float] = (300, 300)
