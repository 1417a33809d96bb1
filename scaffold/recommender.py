"""Rank the frameworks for a situation. Pure: a Profile and a Catalog in, a Recommendation out.

Each framework starts at its ``base`` score; every rule whose conditions all hold adds its score
and contributes its sentence as a reason (positive) or a caution (negative). A left-out option
matches no rule, so it weighs neither way. All weights live in ``frameworks/<id>.toml``.
"""

from __future__ import annotations

from collections.abc import Iterable

from .errors import UsageError
from .models import FRAMEWORK_IDS, SITUATION, Catalog, Profile, Ranked, Recommendation


def make_profile(
    *,
    experience: str | None = None,
    math: str | None = None,
    task: str | None = None,
    data_size: str | None = None,
    infra: str | None = None,
    time_frame: str | None = None,
    goal: str | None = None,
    needs: Iterable[str] = (),
) -> Profile:
    """Build a validated :class:`Profile`; an unknown value raises :class:`UsageError` naming the allowed ones."""
    values = {
        "experience": experience,
        "math": math,
        "task": task,
        "data_size": data_size,
        "infra": infra,
        "time_frame": time_frame,
        "goal": goal,
    }
    for option, value in values.items():
        if value is not None and value not in SITUATION[option]:
            raise UsageError(f"--{option.replace('_', '-')} {value!r} is not allowed; choose one of: {', '.join(SITUATION[option])}")
    need_set = frozenset(needs)
    for need in sorted(need_set):
        if need not in SITUATION["need"]:
            raise UsageError(f"--need {need!r} is not allowed; choose from: {', '.join(SITUATION['need'])}")
    return Profile(needs=need_set, **values)


def rank(profile: Profile, catalog: Catalog) -> Recommendation:
    """Score every framework of the catalog for ``profile``, best first, deterministically."""
    ranked = []
    for fid in FRAMEWORK_IDS:
        fw = catalog.get(fid)
        matched = [rule for rule in fw.rules if all(profile.matches(o, v) for o, v in rule.when)]
        score = fw.base_score + sum(rule.score for rule in matched)
        # Strongest first; ties keep the catalog's order so output never depends on set iteration.
        reasons = [r.text for r in sorted(matched, key=lambda r: -r.score) if r.kind == "reason"]
        cautions = [r.text for r in sorted(matched, key=lambda r: r.score) if r.kind == "caution"]
        ranked.append(
            Ranked(
                framework=fid,
                name=fw.name,
                score=round(score, 2),
                reasons=tuple(reasons) or (fw.summary,),
                cautions=tuple(dict.fromkeys([*cautions, *fw.cautions])),
                starter=fw.starter,
            )
        )
    order = {fid: i for i, fid in enumerate(FRAMEWORK_IDS)}
    ranked.sort(key=lambda r: (-r.score, order[r.framework]))
    return Recommendation(profile=profile, ranking=tuple(ranked))
