"""Rank the frameworks for a situation. Pure: a Profile and a Catalog in, a Recommendation out.

Task fit decides first: a framework whose starter does not serve the situation's task (it is not in its
catalog entry's ``recommend.tasks``) never ranks above one whose starter does. Then the score: each framework starts at its
``base``; every rule whose conditions all hold adds its score and contributes its sentence as a reason
(positive) or a caution (negative). A left-out option matches no rule, so it weighs neither way. Each
ranked framework also carries the smallest change of the situation that would change the answer,
computed from the same rules. All weights live in ``frameworks/<id>.toml``.

May import: ``errors`` and ``models`` of ours, and the standard library. The caller passes the Catalog, so
this module never loads the catalog, probes the machine or prints.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace

from .errors import UsageError
from .models import FRAMEWORK_IDS, SITUATION, Catalog, Change, Framework, Profile, Ranked, Recommendation, Rule


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


def _answers(profile: Profile) -> frozenset[tuple[str, str | None]]:
    """Every (option, value) pair that ``profile.matches``: its answers, each need as ("need", need)."""
    pairs: list[tuple[str, str | None]] = [(o, getattr(profile, o)) for o in SITUATION if o != "need"]
    return frozenset(pairs + [("need", need) for need in profile.needs])


def _matched(fw: Framework, answers: frozenset[tuple[str, str | None]]) -> list[Rule]:
    """The rules whose every condition holds (:meth:`Profile.matches`, as one subset test of :func:`_answers`)."""
    return [rule for rule in fw.rules if answers.issuperset(rule.when)]


def _fits(fw: Framework, profile: Profile) -> bool:
    """The framework's starter serves the profile's task (every framework fits a profile without one)."""
    return profile.task is None or profile.task in fw.tasks


def _points(fw: Framework, matched: list[Rule]) -> float:
    return round(fw.base_score + sum(rule.score for rule in matched), 2)


def _standing(profile: Profile, catalog: Catalog) -> list[tuple[bool, float, int, str]]:
    """(not fit for the task, -score, catalog position, id) per framework, best first: the order :func:`_score`
    gives, without building its records (``rank`` asks this for every single change of the profile)."""
    answers = _answers(profile)
    standing = []
    for position, fid in enumerate(FRAMEWORK_IDS):
        fw = catalog.get(fid)
        standing.append((not _fits(fw, profile), -_points(fw, _matched(fw, answers)), position, fid))
    standing.sort()
    return standing


def _score(profile: Profile, catalog: Catalog) -> list[Ranked]:
    """Every framework scored for ``profile``, best first (task fit, then score, then the catalog's order)."""
    answers = _answers(profile)
    ranked = []
    for fid in FRAMEWORK_IDS:
        fw = catalog.get(fid)
        matched = _matched(fw, answers)
        # Strongest first; ties keep the catalog's order so output never depends on set iteration.
        strongest = sorted(matched, key=lambda r: -abs(r.score))
        reasons = [r.text for r in strongest if r.kind == "reason"]
        cautions = [r.text for r in strongest if r.kind == "caution"]
        ranked.append(Ranked(
            framework=fid,
            name=fw.name,
            score=_points(fw, matched),
            reasons=tuple(reasons) or (fw.summary,),
            cautions=tuple(dict.fromkeys([*cautions, *fw.cautions])),
            starter=fw.starter,
            fits_task=_fits(fw, profile),
            matched=tuple(strongest),
        ))
    order = {fid: i for i, fid in enumerate(FRAMEWORK_IDS)}
    ranked.sort(key=lambda r: (not r.fits_task, -r.score, order[r.framework]))
    return ranked


def _changes(profile: Profile) -> Iterator[tuple[int, tuple[tuple[str, str], ...], Profile]]:
    """Every single change of ``profile`` the person controls, with its kind: 0 a new answer to a question already
    answered, 1 an answer to a question left out, 2 one more need. Never the task: that is the person's problem,
    not a choice that would suit another framework."""
    for option, values in SITUATION.items():
        if option in ("need", "task"):
            continue
        current = getattr(profile, option)
        for value in values:
            if value != current:
                kind = 0 if current is not None else 1
                yield kind, ((option, value),), replace(profile, **{option: value})
    for need in SITUATION["need"]:
        if need not in profile.needs:
            yield 2, (("need", need),), replace(profile, needs=profile.needs | {need})


def rank(profile: Profile, catalog: Catalog) -> Recommendation:
    """Score every framework of the catalog for ``profile``, best first, deterministically.

    Each framework's ``would_change`` is the smallest change that makes a difference: for the top pick, the one
    that puts another framework first; for the others, the one that puts that framework first. Smallest means
    revising an answer before adding one, and adding an answer before adding a need; among equals, the change
    after which the new winner leads by the most.
    """
    ranking = _score(profile, catalog)
    top = ranking[0].framework
    best_change: dict[str, tuple[tuple[int, float], Change]] = {}
    for kind, change, changed in _changes(profile):
        after = _standing(changed, catalog)
        winner = after[0][3]
        if winner == top:
            continue
        margin = after[1][1] - after[0][1] if len(after) > 1 else 0.0  # the winner's lead
        key = (kind, -margin)
        if winner not in best_change or key < best_change[winner][0]:
            best_change[winner] = (key, Change(change, winner, catalog.get(winner).name))
    # The top pick lists the closest change towards each other framework, closest first; its would_change is the
    # closest of all. Each other framework carries the closest change that puts it first.
    closest = tuple(change for _, change in sorted(best_change.values(), key=lambda kc: kc[0]))
    out = []
    for r in ranking:
        if r.framework == top:
            out.append(replace(r, would_change=closest[0] if closest else None, changes=closest))
        elif r.framework in best_change:
            out.append(replace(r, would_change=best_change[r.framework][1]))
        else:
            out.append(r)
    return Recommendation(profile=profile, ranking=tuple(out))
