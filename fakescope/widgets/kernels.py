"""A kernel manager that gives dashboard kernels only to pages that open a connection, caps how many live at
once, and culls the kernel of a page left without a connection.

A visit costs no kernel until the page's script asks for a place over a websocket (`door.py`): the manager
hands out a short-lived, single-use ticket while a place is free, and the page's own request redeems it.
Plain GETs (link previews, crawlers, scripts) therefore never start a kernel. Past `max_kernels` the page is
told when to retry: when the first kernel without a connection is culled, or one idle period from now.

Example:
    $ voila dashboard.ipynb \
        --VoilaConfiguration.multi_kernel_manager_class=fakescope.widgets.kernels.LimitedKernelManager \
        --LimitedKernelManager.max_kernels=8
"""

from __future__ import annotations

import math
import secrets
import time
from datetime import datetime, timedelta

from jupyter_server._tz import utcnow
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from tornado import web
from traitlets import Float, Integer, TraitError

from fakescope.widgets.limits import DEFAULT_MAX_KERNELS

TICKET_SECONDS = 30.0


class DashboardBusy(web.HTTPError):
    """Every place is taken: HTTP 503 with a `Retry-After` header and the reason in one line."""

    def __init__(self, reason: str, retry_s: int) -> None:
        super().__init__(503, reason, reason=reason)
        self.retry_s = retry_s


class LimitedKernelManager(AsyncMappingKernelManager):
    """`AsyncMappingKernelManager` with places for at most `max_kernels` kernels, handed out as tickets."""

    max_kernels = Integer(DEFAULT_MAX_KERNELS, config=True, help="Most kernels alive at once.")
    reserved = Integer(0, config=True, help="Places kept for pre-heated kernels (Voila's pool).")
    ticket_seconds = Float(TICKET_SECONDS, config=True, help="How long a page may take to redeem its ticket.")

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._tickets: dict[str, float] = {}
        self._admitting: dict[str, float] = {}  # redeemed tickets whose page has not finished loading
        self._starting = 0  # kernels being started, not yet listed
        self._starting_visitors = 0  # of which for a page (not for the pre-heated pool)

    def issue_ticket(self) -> str:
        """A single-use ticket for one page's kernel.

        Raises:
            DashboardBusy: no place is free.
        """
        self._expire_tickets()
        taken = self._visitors() + self._starting_visitors + len(self._tickets) + len(self._admitting)
        if taken >= self.max_kernels - self.reserved:
            raise self._busy()
        ticket = secrets.token_urlsafe(24)
        self._tickets[ticket] = time.monotonic() + self.ticket_seconds
        return ticket

    def redeem(self, ticket: str | None) -> bool:
        """Use up `ticket`; False when it is unknown, used or expired. Its place stays taken until
        `admitted(ticket)` (the page has its kernel), so a kernel still starting is never given twice."""
        self._expire_tickets()
        if ticket is None or self._tickets.pop(ticket, None) is None:
            return False
        self._admitting[ticket] = time.monotonic() + self.ticket_seconds
        for kernel_id in self._pooled():  # the page takes one: its idle time counts from now, not from
            self.get_kernel(kernel_id).last_activity = utcnow()  # its start (or it is culled as it loads)
        return True

    def admitted(self, ticket: str) -> None:
        """The page of redeemed `ticket` has loaded (its kernel is listed) or failed: its hold ends."""
        self._admitting.pop(ticket, None)

    async def start_kernel(self, *args, **kwargs) -> str:
        if len(self.list_kernel_ids()) + self._starting >= self.max_kernels:
            raise self._busy()
        visitor = (kwargs.get("env") or {}).get("VOILA_PREHEAT") != "True"
        self._starting += 1
        self._starting_visitors += visitor
        try:
            return await super().start_kernel(*args, **kwargs)
        finally:
            self._starting -= 1
            self._starting_visitors -= visitor

    def notify_disconnect(self, kernel_id: str) -> None:
        """The idle time of a kernel counts from its last connection's end, not from its last message."""
        super().notify_disconnect(kernel_id)
        if self._kernel_connections.get(kernel_id, 1) == 0 and kernel_id in self:
            self.get_kernel(kernel_id).last_activity = utcnow()

    def retry_after(self) -> int:
        """Seconds until a place is expected to free: the first ticket to expire or kernel to be culled."""
        now, clock = utcnow(), time.monotonic()
        waits = [deadline - clock for deadline in (*self._tickets.values(), *self._admitting.values())]
        idle = timedelta(seconds=self.cull_idle_timeout + self.cull_interval)
        pooled = self._pooled()
        for kernel_id in self.list_kernel_ids():
            if kernel_id in pooled or self._kernel_connections.get(kernel_id, 0):
                continue
            waits.append((_last_activity(self.get_kernel(kernel_id), now) + idle - now).total_seconds())
        return max(1, math.ceil(min(waits, default=idle.total_seconds())))

    def _busy(self) -> DashboardBusy:
        retry = self.retry_after()
        places = self.max_kernels - self.reserved
        taken = f"all {places} places are taken" if places > 1 else "its one place is taken"
        reason = f"Dashboard busy: {taken}; try again in {_duration(retry)}"
        return DashboardBusy(reason, retry)

    def _visitors(self) -> int:
        return len(set(self.list_kernel_ids()) - self._pooled())

    def _pooled(self) -> set[str]:
        """Kernels Voila keeps pre-heated for the next page (its `_pools` of start tasks)."""
        found = set()
        for pool in getattr(self, "_pools", {}).values():
            for task in pool:
                if task.done() and not task.cancelled() and task.exception() is None:
                    found.add(task.result().get("kernel_id"))
        return found

    def _expire_tickets(self) -> None:
        clock = time.monotonic()
        self._tickets = {t: deadline for t, deadline in self._tickets.items() if deadline > clock}
        self._admitting = {t: deadline for t, deadline in self._admitting.items() if deadline > clock}


def _last_activity(kernel: object, now: datetime) -> datetime:
    """The kernel's last activity; `now` for one still starting (jupyter_server sets it once started)."""
    try:
        return kernel.last_activity or now
    except (AttributeError, TraitError):
        return now


def _duration(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} s"
    return f"{math.ceil(seconds / 60)} minutes"
