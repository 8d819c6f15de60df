"""`FakescopeVoila`: Voila with a `Host` guard in front of every route and the door in front of the page.

Only `serve.serve` imports this module (it imports Voila itself).

Example:
    >>> FakescopeVoila.launch_instance(argv=voila_argv(path, port=8866, host="127.0.0.1"))
"""

from __future__ import annotations

from jupyter_server.utils import url_path_join
from tornado.routing import Rule
from voila.app import Voila
from voila.tornado.handler import TornadoVoilaHandler

from fakescope.widgets.door import TICKET_PATH, DoorVoilaHandler, TicketHandler, ticket_cookie
from fakescope.widgets.hosts import AllowedHosts, HostMatcher, RefusedHostHandler


class FakescopeVoila(Voila):
    """Voila whose routes answer only allowed `Host` headers (403 otherwise) and whose notebook page starts a
    kernel only for a ticket (see `door.py`)."""

    def init_handlers(self) -> list:
        handlers = [self._behind_door(rule) for rule in super().init_handlers()]
        handlers.insert(0, (url_path_join(self.server_url, TICKET_PATH), TicketHandler))
        return [Rule(HostMatcher(AllowedHosts.for_bind(self.ip)), handlers), (r".*", RefusedHostHandler)]

    def _behind_door(self, rule: tuple) -> tuple:
        pattern, handler, *rest = rule
        if handler is not TornadoVoilaHandler:
            return rule
        return (pattern, DoorVoilaHandler, {**rest[0], "ticket_cookie": ticket_cookie(self.port)})
