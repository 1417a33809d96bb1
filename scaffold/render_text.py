"""Terminal text for a recommendation: the one line that matters first, the rest one line each.

Pure: a Recommendation and a width in, text out (no terminal library), so it is tested at any width and stays
cheap on the CLI's start-up path.

May import: ``models`` of ours and the standard library (``textwrap``); no terminal library.
"""

from __future__ import annotations

import textwrap

from .models import SITUATION, Recommendation

_MIN_WIDTH = 30


def _wrap(text: str, width: int, first: str, rest: str) -> list[str]:
    # Words are never cut (break_long_words=False): a long word overflows rather than turning into "…".
    return textwrap.wrap(text, width=width, initial_indent=first, subsequent_indent=rest,
                         break_long_words=False, break_on_hyphens=False) or [first.rstrip()]


def _bar(score: float, low: float, high: float, length: int) -> str:
    filled = round(length * (score - low) / ((high - low) or 1.0))
    return "#" * filled + "." * (length - filled)


def recommendation_text(result: Recommendation, width: int = 80, *, explain: bool = False, start: bool = True) -> str:
    """The recommendation as a person reads it: the top pick with its reasons, cautions and what would change
    it, then each other framework as one entry (name, score bar, its single strongest reason)."""
    width = max(width, _MIN_WIDTH)
    best = result.best
    lines = [*_wrap(f"Use {best.name} ({best.framework})", width, "", "  ")]
    for reason in best.reasons[:3]:
        lines += _wrap(reason, width, "  + ", "    ")
    for caution in best.cautions[:2]:
        lines += _wrap(caution, width, "  ! ", "    ")
    if best.changes:
        lines += _wrap("What would change it:", width, "  ", "    ")
        for change in best.changes[:3]:
            lines += _wrap(change.text, width, "    - ", "      ")
    if start:  # the command to run next (not inside the guided path, whose next question is the framework)
        task = f" --task {result.profile.task}" if result.profile.task and best.fits_task else ""
        lines += _wrap(f"Start: scaffold new NAME --framework {best.framework}{task}", width, "  ", "    ")
    others = result.ranking[1:]
    if others:
        lines += ["", "Others:"]
        # A bar never rises down the ranking: among the frameworks that serve the task each shows at most the bar of
        # the one above it, and one whose starter does not serve the task (ranked after them all) shows an empty bar.
        shown, last = [], best.score
        for r in result.ranking:
            last = min(last, r.score)
            shown.append(last)
        fitting = [value for r, value in zip(result.ranking, shown, strict=True) if r.fits_task] or shown
        high, low = max(fitting), min(fitting)
        shown = [value if r.fits_task or not any(x.fits_task for x in result.ranking) else low
                 for r, value in zip(result.ranking, shown, strict=True)]
        name_width = max(len(r.name) for r in others)
        bar_length = 10 if width >= 60 else 5
        for i, (r, value) in enumerate(zip(others, shown[1:], strict=True), 2):
            head = f"{i}. {r.name:<{name_width}} {_bar(value, low, high, bar_length)} "
            if not r.fits_task:
                task = result.profile.task or ""
                why = next((rule.text for rule in r.matched if rule.when == (("task", task),) and rule.kind == "caution"),
                           "")
                text = f"not for {task}: {why or 'its starter does not serve this task'}"
            else:
                text = r.reasons[0]
            indent = " " * min(len(head), 6)
            if len(head) + 20 > width:  # too narrow for the reason beside the name: put it below
                lines.append(head.rstrip())
                lines += _wrap(text, width, indent, indent)
            else:
                lines += _wrap(text, width, head, " " * len(head))
    if explain:
        lines += ["", "Every rule that applied (weight, then its source):"]
        for r in result.ranking:
            fit = "" if r.fits_task else f"  [not for {result.profile.task}: ranked after those that are]"
            lines += _wrap(f"{r.name}: {r.score:g}{fit}", width, "", "  ")
            for rule in r.matched:
                lines += _wrap(f"{rule.score:+g} {rule.text} [{rule.source}]", width, "  ", "      ")
            if r.would_change and r.framework != best.framework:
                lines += _wrap(f"first {r.would_change.text.rsplit(':', 1)[0]}", width, "  -> ", "      ")
    left_out = [o for o in SITUATION if not result.profile.is_set(o)]
    if left_out and not explain:
        lines += ["", *_wrap("Left out (weighs neither way): " + ", ".join(f"--{o.replace('_', '-')}" for o in left_out),
                             width, "", "  ")]
    return "\n".join(lines)
