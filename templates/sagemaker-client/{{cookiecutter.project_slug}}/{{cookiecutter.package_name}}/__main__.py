"""python -m {{ cookiecutter.package_name }}"""

import sys

if sys.argv[1:2] == ["check"]:  # before the client's imports: `check` must run where the pins are missing
    from .check import main as check

    raise SystemExit(check(sys.argv[2:]))

from .cli import main  # noqa: E402

raise SystemExit(main())
