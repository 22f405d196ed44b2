"""Reading a city's districts or neighbourhoods from a GeoJSON FeatureCollection: the
shape of the file checked feature by feature, nothing from the database. Every problem
names the feature (its number in the file and its name) so a coordinator can fix it."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

from flask_babel import gettext as _

from .slugs import slugify

LEVELS = ("district", "neighbourhood")
# Uploads and files above this are refused before parsing (a city's file is < 5 MB).
MAX_BYTES = 20 * 1024 * 1024
# A file with more problems is told the first ones only.
MAX_PROBLEMS = 20
_POLYGONS = ("Polygon", "MultiPolygon")
_WGS84 = {"urn:ogc:def:crs:OGC:1.3:CRS84", "urn:ogc:def:crs:EPSG::4326", "EPSG:4326"}


class GeographyError(ValueError):
    """The file cannot be imported: `problems` lists each one in words."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Place:
    """One feature of the file: a district or neighbourhood to import."""

    index: int  # 1-based, as a person counts features in the file
    code: str
    name: str
    geometry: str  # compact GeoJSON geometry text
    parent: str | None = None  # a neighbourhood's district code


@dataclass(frozen=True)
class Options:
    level: str
    name_property: str
    code_property: str | None = None
    parent_property: str | None = None


def read_places(data: bytes | str, options: Options, max_bytes: int = MAX_BYTES) -> list[Place]:
    """The file's features as places, or GeographyError listing every problem found.
    Without a code property a feature's code is its GeoJSON `id` when every feature has
    one, else the slug of its name."""
    size = len(data.encode("utf-8") if isinstance(data, str) else data)
    if size > max_bytes:
        raise GeographyError(
            [_("The file is too big (%(size)s MB; at most %(limit)s MB).",
               size=round(size / 1048576, 1), limit=max_bytes // 1048576)]
        )
    collection = _collection(data)
    features = collection["features"]
    by_id = all(isinstance(f, dict) and f.get("id") not in (None, "") for f in features)
    problems: list[str] = []
    places: list[Place] = []
    seen: dict[str, Place] = {}
    for index, feature in enumerate(features, start=1):
        if len(problems) >= MAX_PROBLEMS:
            problems.append(_("… and more: fix these first."))
            break
        place = _place(index, feature, options, by_id, problems)
        if place is None:
            continue
        if place.code in seen:
            first = seen[place.code]
            problems.append(
                _("Feature %(index)s (%(name)s): its code “%(code)s” is also the code of "
                  "feature %(other)s (%(other_name)s); codes must be unique.",
                  index=index, name=place.name, code=place.code, other=first.index,
                  other_name=first.name)
            )
            continue
        seen[place.code] = place
        places.append(place)
    if problems:
        raise GeographyError(problems)
    return places


def _collection(data: bytes | str) -> dict:
    try:
        collection = json.loads(data.decode("utf-8-sig") if isinstance(data, bytes) else data)
    except UnicodeDecodeError:
        raise GeographyError([_("The file is not text in UTF-8: is it a GeoJSON file?")]) from None
    except ValueError as error:
        raise GeographyError(
            [_("The file is not JSON (line %(line)s: %(reason)s).",
               line=getattr(error, "lineno", "?"), reason=getattr(error, "msg", str(error)))]
        ) from None
    if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection":
        raise GeographyError([_("The file is JSON but not a GeoJSON FeatureCollection.")])
    if not isinstance(collection.get("features"), list) or not collection["features"]:
        raise GeographyError([_("The FeatureCollection has no features.")])
    crs = ((collection.get("crs") or {}).get("properties") or {}).get("name")
    if crs and crs not in _WGS84:
        raise GeographyError(
            [_("The file is in the coordinate system %(crs)s; export it in WGS 84 "
               "longitude/latitude (EPSG:4326).", crs=crs)]
        )
    return collection


def _text(value) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    text = str(value).strip()
    return text or None


def _place(index: int, feature, options: Options, by_id: bool, problems: list[str]):
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        problems.append(_("Feature %(index)s is not a GeoJSON Feature.", index=index))
        return None
    properties = feature.get("properties") or {}
    name = _text(properties.get(options.name_property)) if isinstance(properties, dict) else None
    if name is None:
        problems.append(
            _("Feature %(index)s (no name): the name property “%(property)s” is missing or "
              "empty (its properties: %(found)s).", index=index, property=options.name_property,
              found=", ".join(properties) if isinstance(properties, dict) and properties
              else "—")
        )
        return None
    if len(name) > 120:
        problems.append(_("Feature %(index)s (%(name)s): the name is longer than 120 "
                          "characters.", index=index, name=name[:40] + "…"))
        return None
    if options.code_property:
        code = _text(properties.get(options.code_property))
        if code is None:
            problems.append(
                _("Feature %(index)s (%(name)s): the code property “%(property)s” is missing "
                  "or empty.", index=index, name=name, property=options.code_property)
            )
            return None
    else:
        code = str(feature["id"]).strip() if by_id else slugify(name, fallback=str(index))
    if len(code) > 40:
        problems.append(_("Feature %(index)s (%(name)s): the code is longer than 40 "
                          "characters.", index=index, name=name))
        return None
    parent = None
    if options.level == "neighbourhood":
        parent = _text(properties.get(options.parent_property or ""))
        if parent is None:
            problems.append(
                _("Feature %(index)s (%(name)s): the district property “%(property)s” is "
                  "missing or empty.", index=index, name=name, property=options.parent_property)
            )
            return None
    problem = geometry_problem(feature.get("geometry"))
    if problem:
        problems.append(_("Feature %(index)s (%(name)s): %(problem)s", index=index, name=name,
                          problem=problem))
        return None
    geometry = feature["geometry"]
    text = json.dumps(
        {"type": geometry["type"], "coordinates": geometry["coordinates"]},
        separators=(",", ":"),
    )
    return Place(index=index, code=code, name=name, geometry=text, parent=parent)


def geometry_problem(geometry) -> str | None:
    """What is wrong with a geometry for a district's shape, in words, or None."""
    if not isinstance(geometry, dict) or geometry.get("type") is None:
        return _("it has no geometry.")
    kind = geometry["type"]
    if kind not in _POLYGONS:
        return _("its geometry is a %(kind)s, not a Polygon or MultiPolygon.", kind=kind)
    polygons = geometry.get("coordinates")
    if kind == "Polygon":
        polygons = [polygons]
    if not isinstance(polygons, list) or not polygons:
        return _("its geometry has no coordinates.")
    for polygon in polygons:
        if not isinstance(polygon, list) or not polygon:
            return _("its geometry has a polygon without rings.")
        for ring in polygon:
            if not isinstance(ring, list) or len(ring) < 4:
                return _("its geometry has a ring of fewer than four positions.")
            for position in ring:
                problem = _position_problem(position)
                if problem:
                    return problem
    return None


def _position_problem(position) -> str | None:
    if (
        not isinstance(position, list)
        or len(position) < 2
        or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in position[:2])
        or not all(math.isfinite(v) for v in position[:2])
    ):
        return _("its geometry has a position that is not a pair of numbers.")
    lon, lat = position[0], position[1]
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        return _(
            "its coordinates (%(lon)s, %(lat)s) are not longitude/latitude in degrees; "
            "export the file in WGS 84 (EPSG:4326).", lon=lon, lat=lat
        )
    return None
