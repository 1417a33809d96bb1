"""Record PyPI's JSON answers for the tests (maintainers; needs the network): ``python tests/recorded/record_pypi.py NAME...``.

Keeps the final releases from the oldest one the existing recording holds (or ``NAME@VERSION``) on, and of each
release one file per (python tag, ABI tag, platform of the catalog) plus its sdist, with the fields
``scaffold catalog check`` reads: which Pythons and platforms a release serves is unchanged by the trimming.
"""

from __future__ import annotations

import json
import sys
import urllib.request
from pathlib import Path

from packaging.version import InvalidVersion, Version

HERE = Path(__file__).parent
FIELDS = ("filename", "packagetype", "requires_python", "upload_time_iso_8601", "yanked")


def platform_of(tag: str) -> str | None:
    """The catalog platform a wheel's platform tag installs on ("any" for every one); None for the others."""
    if tag == "any":
        return "any"
    if tag.startswith("musllinux"):
        return None
    if tag.endswith("x86_64") and ("linux" in tag):
        return "linux-x86_64"
    if tag.endswith("aarch64") and "linux" in tag:
        return "linux-aarch64"
    if tag.startswith("macosx") and tag.endswith(("arm64", "universal2")):
        return "macos-arm64"
    if tag == "win_amd64":
        return "windows-x86_64"
    return None


def trim(doc: dict, oldest: Version) -> dict:
    releases = {}
    for text, files in doc["releases"].items():
        try:
            version = Version(text)
        except InvalidVersion:
            continue
        if version < oldest or version.is_prerelease or version.is_devrelease or not files:
            continue
        kept, seen = [], set()
        for f in files:
            name = f["filename"]
            if name.endswith(".whl"):
                parts = name[:-4].split("-")
                plats = {platform_of(t) for t in parts[-1].split(".")} - {None}
                keys = {(parts[-3], parts[-2], p) for p in plats}
                if not keys or keys <= seen:
                    continue
                seen |= keys
            elif ("sdist",) in seen:
                continue
            else:
                seen.add(("sdist",))
            kept.append({k: f.get(k) for k in FIELDS})
        releases[text] = kept
    info = doc["info"]
    return {"info": {"name": info["name"], "version": info["version"], "requires_python": info["requires_python"]},
            "releases": releases}


def main(args: list[str]) -> None:
    for arg in args:
        name, _, given = arg.partition("@")
        path = HERE / f"pypi-{name}.json"
        oldest = Version(given) if given else min(Version(v) for v in json.loads(path.read_text())["releases"])
        with urllib.request.urlopen(f"https://pypi.org/pypi/{name}/json", timeout=60) as response:
            doc = json.load(response)
        path.write_text(json.dumps(trim(doc, oldest), indent=1) + "\n", encoding="utf-8")
        print(path.name, len(trim(doc, oldest)["releases"]), "releases from", oldest)


if __name__ == "__main__":
    main(sys.argv[1:])
