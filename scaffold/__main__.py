"""``python -m scaffold`` and the ``scaffold`` command.

Signals are handled from the first moment this module runs, before anything heavy is imported:
a Ctrl-C while typer loads is one line and its exit status, not a traceback. Only the instants
before Python runs this file (its own start-up) remain Python's.

May import: ``sys`` and the C module ``_signal`` at first, then ``interrupts`` and ``cli`` of ours, in that order.
"""

import sys


def _early(signum, frame):  # until scaffold.interrupts is loaded: nothing has been written yet
    try:
        sys.stderr.write(f"interrupted: signal {signum}; nothing was written\n")
    except (OSError, ValueError, AttributeError):
        pass
    raise SystemExit(128 + signum)


def main() -> None:
    import _signal  # the C module: no enum, no imports

    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        if hasattr(_signal, name):
            _signal.signal(getattr(_signal, name), _early)
    from .interrupts import Interrupted, ignore_further, install

    try:
        install()
        from .cli import run
    except Interrupted as e:
        sys.stderr.write(f"interrupted: {e.name}; nothing was written\n")
        sys.exit(e.exit_code)
    try:
        code = run(sys.argv[1:])
        ignore_further()  # the work is done: a signal from now on cannot change what it left, nor its status
    except Interrupted as e:  # in run's first instants (its imports), before its own handler is in place
        ignore_further()
        sys.stderr.write(f"interrupted: {e.name}; stopped without leaving anything half-written\n")
        code = e.exit_code
    sys.exit(code)


if __name__ == "__main__":
    main()
