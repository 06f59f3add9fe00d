"""Absolute URLs of the app's pages, for what leaves the app (the weekly mails): BASE_URL
plus a route's path, built outside requests (CLI, scheduler) as well as inside them.

The edge makes the :class:`Links` from the app (tracker.settings.links: BASE_URL and
``app.url_map.bind("localhost").build``) and hands it down; nothing here reads a config
or knows Flask.
"""
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Links:
    """``base_url``: BASE_URL as configured (a trailing "/" is ignored); ``build``:
    ``build(endpoint, values) -> path`` (a werkzeug MapAdapter's ``build``)."""
    base_url: str
    build: Callable

    def url(self, endpoint, **values):
        """BASE_URL + the path of ``endpoint`` with ``values``."""
        return self.base_url.rstrip("/") + self.build(endpoint, values)
