"""Read the GPU architectures a CUDA wheel carries out of the wheel itself, fetching only the bytes needed.

A wheel is a zip: its central directory sits at the end, so two HTTP range requests (the tail, then one
member) read a small file out of a multi-GB CUDA wheel. What the architectures are is read from that member:
PyTorch compiles its ``TORCH_CUDA_ARCH_LIST`` into ``torch/lib/libtorch_python.so`` as the string
``torch.cuda.get_arch_list()`` returns (``sm_80 sm_90 ... compute_120``); TensorFlow writes
``cuda_compute_capabilities`` into ``tensorflow/python/platform/build_info.py``.

The parsing is pure (bytes in, names out) so it is tested over recorded members; :func:`fetch_range` is the
only code here that reaches the network. Imports ``errors``; :func:`arch_check` (``scaffold catalog check
--archs``) also ``maintain`` and ``sizes``, when it runs (the index listing and the wheel tags a platform takes).
"""

from __future__ import annotations

import re
import struct
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import ToolError

# The member whose bytes name a build's architectures, per distribution, and how to read them.
MEMBERS = {
    "torch": "torch/lib/libtorch_python.so",
    "tensorflow": "tensorflow/python/platform/build_info.py",
}
_EOCD = b"PK\x05\x06"
_EOCD64_LOCATOR = b"PK\x06\x07"
_CENTRAL = b"PK\x01\x02"
_LOCAL = b"PK\x03\x04"
TAIL_BYTES = 1 << 16  # the end record and, for a small wheel, its whole central directory
# PyTorch's get_arch_list() string: space-separated sm_XX (and compute_XX for PTX), a run of at least two.
_TORCH_ARCHS = re.compile(rb"(?:(?:sm|compute)_\d{2,3}[af]? ){1,30}(?:sm|compute)_\d{2,3}[af]?(?![\w])")
# build_info.py: `build_info = collections.OrderedDict([..., ('cuda_compute_capabilities', ['sm_60', ...]), ...])`
_TF_ARCHS = re.compile(r"cuda_compute_capabilities['\"]?\s*[:=,]\s*\[([^\]]*)\]")


@dataclass(frozen=True)
class Member:
    name: str
    offset: int  # of its local header
    compressed: int
    size: int
    method: int  # 0 stored, 8 deflated


@dataclass(frozen=True)
class Archs:
    """What a build carries: compiled kernels (sass, as "8.0") and PTX (as "12.0"), as the wheel names them."""

    sass: tuple[str, ...]
    ptx: tuple[str, ...]
    raw: str  # the string the wheel holds

    def as_dict(self) -> dict[str, object]:
        return {"sass": list(self.sass), "ptx": list(self.ptx), "raw": self.raw}


def end_record(tail: bytes, total: int) -> tuple[int, int]:
    """(offset, size) of the central directory of a zip whose last ``len(tail)`` bytes (of ``total``) are ``tail``."""
    at = tail.rfind(_EOCD)
    if at < 0:
        raise ValueError("no end of central directory in the tail: not a zip, or the tail is too short")
    entries, cd_size, cd_offset = struct.unpack_from("<HII", tail, at + 10)
    loc = tail.rfind(_EOCD64_LOCATOR, 0, at)
    if loc >= 0 and (cd_offset == 0xFFFFFFFF or cd_size == 0xFFFFFFFF or entries == 0xFFFF):
        (eocd64,) = struct.unpack_from("<Q", tail, loc + 8)
        start = eocd64 - (total - len(tail))
        if start < 0:
            raise ValueError("the ZIP64 end record lies before the tail read")
        cd_size, cd_offset = struct.unpack_from("<QQ", tail, start + 40)
    return cd_offset, cd_size


def central_directory(data: bytes) -> dict[str, Member]:
    """The members listed in a zip's central directory (``data``: its bytes, from its first entry). Pure."""
    out: dict[str, Member] = {}
    pos = 0
    while data[pos:pos + 4] == _CENTRAL:
        (method,) = struct.unpack_from("<H", data, pos + 10)
        compressed, size = struct.unpack_from("<II", data, pos + 20)
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", data, pos + 28)
        (offset,) = struct.unpack_from("<I", data, pos + 42)
        name = data[pos + 46:pos + 46 + name_len].decode("utf-8", "replace")
        extra = data[pos + 46 + name_len:pos + 46 + name_len + extra_len]
        compressed, size, offset = _zip64(extra, compressed, size, offset)
        out[name] = Member(name, offset, compressed, size, method)
        pos += 46 + name_len + extra_len + comment_len
    if not out:
        raise ValueError("no central directory entries where the end record points")
    return out


def _zip64(extra: bytes, compressed: int, size: int, offset: int) -> tuple[int, int, int]:
    """Sizes and offset from a ZIP64 extra field, for those the fixed fields mark 0xFFFFFFFF."""
    i = 0
    while i + 4 <= len(extra):
        tag, length = struct.unpack_from("<HH", extra, i)
        if tag == 1:
            values = list(struct.unpack_from(f"<{length // 8}Q", extra, i + 4))
            if size == 0xFFFFFFFF and values:
                size = values.pop(0)
            if compressed == 0xFFFFFFFF and values:
                compressed = values.pop(0)
            if offset == 0xFFFFFFFF and values:
                offset = values.pop(0)
        i += 4 + length
    return compressed, size, offset


def member_bytes(member: Member, local: bytes) -> bytes:
    """The uncompressed bytes of ``member`` from ``local``: its local header onwards. Pure."""
    if local[:4] != _LOCAL:
        raise ValueError(f"no local header for {member.name}")
    name_len, extra_len = struct.unpack_from("<HH", local, 26)
    data = local[30 + name_len + extra_len:30 + name_len + extra_len + member.compressed]
    if member.method == 0:
        return data
    if member.method == 8:
        return zlib.decompress(data, -15)
    raise ValueError(f"{member.name}: compression method {member.method} is not read here")


def _capability(name: str) -> str:
    digits = re.sub(r"[af]$", "", name.split("_", 1)[1])
    return f"{digits[:-1]}.{digits[-1]}"


def torch_archs(data: bytes) -> Archs | None:
    """The architectures in ``libtorch_python.so``'s bytes (its get_arch_list() string); None without one."""
    found = [m.group().decode() for m in _TORCH_ARCHS.finditer(data)]
    if not found:
        return None
    raw = max(found, key=len)  # the arch list is the one long run; stray single names are not
    names = raw.split()
    sass = tuple(_capability(n) for n in names if n.startswith("sm_"))
    ptx = tuple(_capability(n) for n in names if n.startswith("compute_"))
    return Archs(sass, ptx, raw)


def tensorflow_archs(data: bytes) -> Archs | None:
    """The architectures in TensorFlow's ``build_info.py`` (``cuda_compute_capabilities``); None without them."""
    m = _TF_ARCHS.search(data.decode("utf-8", "replace"))
    if not m:
        return None
    names = re.findall(r"(?:sm|compute)_\d+[af]?", m[1])
    return Archs(tuple(_capability(n) for n in names if n.startswith("sm_")),
                 tuple(_capability(n) for n in names if n.startswith("compute_")), m[1].strip())


READERS: dict[str, Callable[[bytes], Archs | None]] = {"torch": torch_archs, "tensorflow": tensorflow_archs}


def fetch_range(url: str, start: int, end: int | None = None, *, timeout: float = 60.0) -> tuple[bytes, int]:
    """Bytes ``start`` to ``end`` (inclusive; None: to the end) of ``url`` and the file's whole size.

    A negative ``start`` with ``end`` None reads the last ``-start`` bytes."""
    spec = f"bytes={start}" if start < 0 else f"bytes={start}-{'' if end is None else end}"
    request = urllib.request.Request(url, headers={"Range": spec})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            if response.status != 206:
                raise ToolError(f"{url} does not answer range requests (HTTP {response.status})")
            total = int((response.headers.get("Content-Range") or "/0").rsplit("/", 1)[1])
            return response.read(), total
    except urllib.error.HTTPError as e:
        raise ToolError(f"{url}: HTTP {e.code}") from e
    except (urllib.error.URLError, OSError, ValueError) as e:
        raise ToolError(f"cannot read {url}: {getattr(e, 'reason', e)}") from e


def wheel_member(url: str, member: str, *, fetch: Callable[..., tuple[bytes, int]] = fetch_range) -> bytes:
    """One member of the wheel at ``url``, by two range requests; :class:`ToolError` when it cannot be had."""
    tail, total = fetch(url, -TAIL_BYTES)
    try:
        cd_offset, cd_size = end_record(tail, total)
        start = cd_offset - (total - len(tail))
        listing = tail[start:] if start >= 0 else fetch(url, cd_offset, cd_offset + cd_size - 1)[0]
        members = central_directory(listing)
    except (ValueError, struct.error) as e:
        raise ToolError(f"{url}: {e}") from e
    if member not in members:
        raise ToolError(f"{url} has no {member}")
    m = members[member]
    local, _ = fetch(url, m.offset, m.offset + 30 + 1024 + m.compressed)
    try:
        return member_bytes(m, local)
    except (ValueError, struct.error, zlib.error) as e:
        raise ToolError(f"{url}: {e}") from e


def wheel_archs(distribution: str, url: str, *,
                fetch: Callable[..., tuple[bytes, int]] = fetch_range) -> Archs | None:
    """The architectures the ``distribution`` wheel at ``url`` carries (``torch``, ``tensorflow``)."""
    return READERS[distribution](wheel_member(url, MEMBERS[distribution], fetch=fetch))


# ---- `scaffold catalog check --archs`: the catalog's architecture lists against the wheels ----

@dataclass(frozen=True)
class ArchFinding:
    """One claimed CUDA build's architecture list as the catalog states it and as its wheel holds it."""

    framework: str
    release: str
    target: str
    platform: str
    state: str  # same | differs | unverified
    catalog: tuple[str, ...]  # sass, then "ptx X.Y"
    wheel: tuple[str, ...]
    detail: str = ""  # the wheel read, or why none was

    def as_dict(self) -> dict[str, object]:
        return {"framework": self.framework, "release": self.release, "target": self.target,
                "platform": self.platform, "state": self.state, "catalog": list(self.catalog),
                "wheel": list(self.wheel), "detail": self.detail}


def _stated(sass: tuple[str, ...], ptx: tuple[str, ...]) -> tuple[str, ...]:
    return (*sorted(sass, key=_key), *(f"ptx {p}" for p in sorted(ptx, key=_key)))


def _key(cap: str) -> tuple[int, int]:
    major, _, minor = cap.partition(".")
    return int(major), int(minor or 0)


def wheel_url(files: list[dict[str, Any]], name: str, version: str, wanted: list[Any]) -> str | None:
    """The URL of the wheel pip would install for ``name==version`` among a PEP 691 answer's ``files``."""
    from packaging.utils import canonicalize_name, parse_wheel_filename

    rank = {t: i for i, t in enumerate(wanted)}
    best: tuple[int, str] | None = None
    for f in files:
        filename = str(f.get("filename", ""))
        if not filename.endswith(".whl") or f.get("yanked"):
            continue
        try:
            fname, fversion, _, ftags = parse_wheel_filename(filename)
        except ValueError:
            continue
        if canonicalize_name(fname) != canonicalize_name(name) or str(fversion) != version:
            continue
        score = min((rank[t] for t in ftags if t in rank), default=None)
        if score is not None and (best is None or score < best[0]):
            best = (score, str(f.get("url", "")))
    return best[1] if best else None


def arch_check(catalog: Any, frameworks: Any = None, *, files: Callable[[str, str], list[dict[str, Any]]] | None = None,
               read: Callable[[str, str], Archs | None] | None = None,
               reachable: Callable[[str], bool] | None = None) -> tuple[ArchFinding, ...]:
    """Each CUDA variant's architecture list (``frameworks/_gpu.toml``) against the one its wheel holds, per
    platform: the wheel is found on the variant's index (PEP 691) for Python 3.12 (or the variant's newest) and
    read by range requests (:func:`wheel_archs`). A build whose index cannot be reached, or whose framework
    compiles at run time (JAX), is unverified; ``files``, ``read`` and ``reachable`` replace the network."""
    from urllib.parse import urljoin, urlparse

    from packaging.requirements import Requirement

    from .maintain import _framework_ids, host_reachable
    from .sizes import simple_json, target_tags

    files = files or simple_json
    read = read or wheel_archs
    reachable = reachable or host_reachable
    seen: dict[str, Archs | None | str] = {}
    out = []
    for fid in _framework_ids(catalog, frameworks):
        fw = catalog.get(fid)
        for release in fw.releases:
            for variant in release.variants:
                for platform, arch in variant.architectures.items():
                    stated = _stated(arch.sass, (arch.ptx,) if arch.ptx else ())
                    pins = [Requirement(r) for r in variant.requirements]
                    dist = next((r for r in pins if r.name in READERS), None)
                    base = dict(framework=fid, release=release.version, target=variant.target, platform=platform,
                                catalog=stated, wheel=())
                    if dist is None or not arch.sass:
                        out.append(ArchFinding(**base, state="unverified",
                                               detail="no wheel names its architectures (compiled at run time)"))
                        continue
                    version = next((s.version for s in dist.specifier if s.operator == "=="), "")
                    index = fw.indexes[variant.index].url if variant.index else catalog.pypi_url
                    host = urlparse(index).hostname or ""
                    if host != urlparse(catalog.pypi_url).hostname and not reachable(host):
                        out.append(ArchFinding(**base, state="unverified", detail=f"index {host} is not reachable"))
                        continue
                    pythons = variant.python or release.python
                    python = "3.12" if "3.12" in pythons else pythons[-1]
                    try:
                        listing = files(index, dist.name)
                    except (OSError, ValueError) as e:
                        out.append(ArchFinding(**base, state="unverified", detail=f"cannot list {dist.name}: {e}"))
                        continue
                    url = wheel_url(listing, dist.name, version, target_tags(platform, python))
                    if url is None:
                        out.append(ArchFinding(**base, state="unverified",
                                               detail=f"no {dist.name}=={version} wheel for {platform}, Python {python}"))
                        continue
                    url = urljoin(index.rstrip("/") + f"/{dist.name}/", url)
                    if url not in seen:
                        try:
                            seen[url] = read(dist.name, url)
                        except ToolError as e:
                            seen[url] = str(e)
                    found = seen[url]
                    if not isinstance(found, Archs):
                        out.append(ArchFinding(**base, state="unverified",
                                               detail=found if isinstance(found, str) else f"{url}: no list in it"))
                        continue
                    held = _stated(found.sass, found.ptx)
                    out.append(ArchFinding(**{**base, "wheel": held}, state="same" if held == stated else "differs",
                                           detail=url.rsplit("/", 1)[-1]))
    return tuple(out)
