"""Every (framework, release, target, platform, python) the catalog claims: the resolver gives that very
variant with exact pins, and uv resolves the pins for that platform and Python.

The uv half is ``maintain.prove_pins`` (what ``scaffold catalog prove`` runs), made once per session by the
``proof`` fixture; combinations whose index cannot be reached are counted unverified, never passed or failed.
The per-framework files check only what is particular to their framework.
"""

from __future__ import annotations

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version


def test_every_claim_resolves_to_its_own_variant(catalog, claims):
    assert {fid for fid, *_ in claims} == set(catalog.frameworks)
    wrong = []
    for fid, release, variant, platform, python, pins in claims:
        where = f"{fid} {release.version} {variant.target} {platform} py{python} {dict(variant.options)}"
        if (pins.framework_version, pins.target.name, pins.target.platform, pins.target.python) != (
                release.version, variant.target, platform, python):
            wrong.append(f"{where}: resolved to {pins.framework_version} {pins.target.name} {pins.target.platform} "
                         f"py{pins.target.python}")
        if not variant.options.items() <= pins.options.items():
            wrong.append(f"{where}: options {pins.options}")
        inexact = [r for r in (*pins.requirements, *pins.dev_requirements)
                   if not str(Requirement(r).specifier).startswith("==")]
        if inexact:
            wrong.append(f"{where}: not pinned exactly: {inexact}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.network
def test_every_claimed_combination_resolves_with_uv(claims, proof):
    assert [(c.framework, c.release, c.target, c.platform, c.python, c.options) for c in proof.combinations] == [
        (fid, r.version, v.target, p, py, tuple(v.options.items())) for fid, r, v, p, py, _ in claims]
    assert not proof.failed, "\n".join(f"{c.label}: {c.detail}" for c in proof.failed)
    assert all(c.detail for c in proof.combinations if c.outcome == "unverified")  # each says why
    # uv's answer holds each pin as it was given (a marker-free pin always applies)
    wrong = []
    for c, (*_, pins) in zip(proof.combinations, claims, strict=True):
        if c.outcome != "resolved":
            continue
        resolved = dict(c.resolved)
        for text in pins.requirements:
            req = Requirement(text)
            (spec,) = req.specifier
            got = resolved.get(canonicalize_name(req.name))
            if req.marker is None and (got is None or Version(got) != Version(spec.version)):
                wrong.append(f"{c.label}: {text} resolved to {got}")
    assert not wrong, "\n".join(wrong)
