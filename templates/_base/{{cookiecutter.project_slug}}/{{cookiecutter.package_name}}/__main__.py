"""Command line: ``python -m {{ cookiecutter.package_name }} <command>``.

``check`` is dispatched before anything else is imported, so it works in a broken environment;
every other command goes to the starter's own ``cli.main``.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """Run one command and return its exit status."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["check"]:
        from .check import main as check

        return check(argv[1:])
    from .cli import main as run

    return run(argv)


if __name__ == "__main__":
    sys.exit(main())
