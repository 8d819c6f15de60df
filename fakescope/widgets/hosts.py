"""Which `Host` headers the dashboard answers: a guard against DNS rebinding.

A web page the user visits can point a domain it controls at 127.0.0.1 and then drive any local server that
answers whatever `Host` it is sent. The dashboard answers only local names (localhost, 127.0.0.1, [::1])
and the `--host` it was started with; when bound to every interface (0.0.0.0 or ::) it also answers any IP
address and this machine's own names, since a rebinding page cannot send an IP address as its host.
Everything else, HTTP requests and websockets alike, gets 403.

Example:
    >>> hosts = AllowedHosts.for_bind("127.0.0.1")
    >>> hosts.allows("localhost:8866"), hosts.allows("attacker.example:8866")
    (True, False)
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass

from tornado import httputil, web
from tornado.routing import Matcher

LOCAL_NAMES = ("localhost", "127.0.0.1", "::1")
WILDCARD_BINDS = ("0.0.0.0", "::", "")


@dataclass(frozen=True)
class AllowedHosts:
    """Host names (lower case, IPv6 without brackets) the server answers; `any_ip` also admits IP literals."""

    names: frozenset[str]
    any_ip: bool = False

    @classmethod
    def for_bind(cls, host: str) -> AllowedHosts:
        """The local names plus `host` (and, for a wildcard bind, this machine's names and any IP)."""
        names = {*LOCAL_NAMES, _bare(host.lower())}
        wildcard = host in WILDCARD_BINDS
        if wildcard:
            names |= {socket.gethostname().lower(), socket.getfqdn().lower()}
        return cls(frozenset(names - {""}), any_ip=wildcard)

    def allows(self, host_header: str) -> bool:
        """Whether a request with this `Host` header (port included or not) is answered."""
        name, _port = httputil.split_host_and_port(host_header.strip().lower())
        name = _bare(name)
        if name in self.names:
            return True
        if not self.any_ip:
            return False
        try:
            ipaddress.ip_address(name)
        except ValueError:
            return False
        return True


class HostMatcher(Matcher):
    """Tornado routing rule matching the requests whose `Host` is allowed."""

    def __init__(self, hosts: AllowedHosts) -> None:
        self.hosts = hosts

    def match(self, request: httputil.HTTPServerRequest) -> dict | None:
        return {} if self.hosts.allows(request.host or "") else None


class RefusedHostHandler(web.RequestHandler):
    """403 for every request whose `Host` is not allowed, without running anything else."""

    def prepare(self) -> None:
        self.set_status(403)
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish("403: this dashboard answers only requests addressed to this machine's own names\n")


def _bare(name: str) -> str:
    return name[1:-1] if name.startswith("[") and name.endswith("]") else name
