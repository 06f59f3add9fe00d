"""Calling a service from a command: audit origin "cli", and the service's errors as click
usage errors (a clear message, exit status 2, nothing written)."""
import contextlib

import click

from ..domain.errors import NotFound, ValidationError
from ..services import audit


def usage_message(exc, options=None):
    """``ValidationError`` messages, each prefixed by the option (``--email``) or argument
    (``USERNAME``) it is about when ``options`` maps its field to one."""
    options = options or {}
    parts = []
    for field, message in exc.errors.items():
        name = options.get(field)
        parts.append(f"{name}: {message}" if name else message)
    return "\n".join(parts)


@contextlib.contextmanager
def service_call(options=None):
    """Audit rows written inside come from "cli"; a service's ValidationError or NotFound
    becomes ``click.UsageError``."""
    try:
        with audit.origin("cli"):
            yield
    except ValidationError as exc:
        raise click.UsageError(usage_message(exc, options)) from None
    except NotFound as exc:
        raise click.UsageError(str(exc)) from None
