"""``python -m scaffold`` and the ``scaffold`` command.

The signal handlers go in before anything heavy is imported, so a Ctrl-C while typer loads is
one line too, not a traceback.
"""

import sys


def main() -> None:
    from .interrupts import Interrupted, install

    install()
    try:
        from .cli import run
    except Interrupted as e:
        sys.stderr.write(f"interrupted: {e.name}\n")
        sys.exit(e.exit_code)
    sys.exit(run(sys.argv[1:]))


if __name__ == "__main__":
    main()
