"""Errors raised by scaffold-ml.

Every error the library raises derives from :class:`ScaffoldError`; the CLI catches that one
base class and exits with the error's ``exit_code`` (2 for bad input, 1 for other failures).
Callers decide by the error's type, never by its message. Imports nothing.
"""

from __future__ import annotations


class ScaffoldError(Exception):
    """Base of every error scaffold-ml raises.

    Raised when: never directly; catch it to handle any scaffold-ml failure.
    """

    exit_code = 1


class UsageError(ScaffoldError):
    """Raised when: the caller's input is invalid (an unknown value, a bad name, a contradiction).

    The message names what is wrong and what is allowed. Nothing has been written.
    """

    exit_code = 2


class TargetError(UsageError):
    """Raised when: a target, platform or Python cannot be served by the chosen framework release."""


class PythonUnsupported(TargetError):
    """Raised when: the Python asked for is not one of the contract's, or no release (or not the chosen one) serves it.

    Where no Python was asked for, the library tries the next one the framework supports instead.
    """


class DestinationError(UsageError):
    """Raised when: the output location exists and is not empty, or cannot be written."""


class CatalogError(ScaffoldError):
    """Raised when: a file in frameworks/ is malformed; the message names the file and key path."""


class GenerationError(ScaffoldError):
    """Raised when: rendering a template fails; the message names the template and file."""


class ToolError(ScaffoldError):
    """Raised when: an external tool the operation needs (uv, the network) fails."""


class UnreachableError(ToolError):
    """Raised when: the package index (or the proxy to it) cannot be reached, as opposed to pins that do not resolve."""
