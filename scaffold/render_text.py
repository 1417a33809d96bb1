"""Terminal rendering of a recommendation: a table a person takes in at a glance."""

from __future__ import annotations

from .models import Recommendation

BAR = 20


def recommendation_table(result: Recommendation) -> None:
    from rich.console import Console
    from rich.table import Table

    top = max((r.score for r in result.ranking), default=1.0)
    low = min((r.score for r in result.ranking), default=0.0)
    span = (top - low) or 1.0
    table = Table(title="Frameworks for your situation, best first", show_lines=True)
    table.add_column("#", justify="right")
    table.add_column("framework")
    table.add_column("score", justify="right")
    table.add_column("fit")
    table.add_column("why / watch out")
    full, empty = _bar_characters()
    for i, r in enumerate(result.ranking, 1):
        filled = round(BAR * (r.score - low) / span)
        bar = full * filled + empty * (BAR - filled)
        notes = [f"[green]+[/green] {x}" for x in r.reasons[:2]] + [f"[yellow]![/yellow] {x}" for x in r.cautions[:2]]
        table.add_row(str(i), f"[bold]{r.name}[/bold]\n{r.framework}", f"{r.score:g}", bar, "\n".join(notes))
    console = Console()
    console.print(table)
    best = result.best
    console.print(f"Start with: [bold]scaffold new NAME --framework {best.framework}[/bold] ({best.starter})")


def _bar_characters() -> tuple[str, str]:
    """Block characters where the output can show them, ``#`` and ``.`` where it cannot (PYTHONIOENCODING=ascii)."""
    import sys

    encoding = getattr(sys.stdout, "encoding", None) or "ascii"
    try:
        "█·".encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return "#", "."
    return "█", "·"
