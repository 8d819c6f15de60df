"""The dashboard's front door: a page gets a kernel only once its script has asked for one over a websocket.

A plain GET of the dashboard returns a tiny page (no kernel started) whose script opens
`fakescope/ticket`, receives a single-use ticket from `LimitedKernelManager`, stores it in a cookie and
reloads; the reload carries the ticket, and only then does Voila start (or hand over) a kernel and run the
notebook. When every place is taken, the page says when to retry and retries by itself.

Example:
    $ curl -s http://127.0.0.1:8866/ | grep -c fs-door      # 1, and no kernel was started
"""

from __future__ import annotations

import json

from tornado import websocket
from voila.tornado.handler import TornadoVoilaHandler

from fakescope.widgets.kernels import DashboardBusy

TICKET_PATH = "fakescope/ticket"
TICKET_COOKIE = "fs-ticket"

_DOOR = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>fakescope</title>
<link rel="icon" href="data:;base64,="></head>
<body style="font-family: system-ui, sans-serif; color: #1f2933; margin: 48px">
<p id="fs-door">Opening the dashboard&hellip;</p>
<noscript>This dashboard needs JavaScript.</noscript>
<script>
(function () {
  "use strict";
  var note = document.getElementById("fs-door");
  function ask() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + location.host + BASE_URL + TICKET_PATH);
    socket.onmessage = function (event) {
      var answer = JSON.parse(event.data);
      if (answer.ticket) {
        document.cookie = COOKIE + "=" + answer.ticket + "; path=" + BASE_URL + "; SameSite=Strict";
        location.reload();
      } else {
        note.textContent = answer.busy;
        setTimeout(ask, 1000 * answer.retry_s);
      }
    };
    socket.onerror = function () {
      note.textContent = "Cannot reach the dashboard server; reload the page to try again.";
    };
  }
  ask();
})();
</script>
</body></html>
"""


def door_html(base_url: str, cookie: str) -> str:
    """The door page for a server at `base_url` whose tickets travel in cookie `cookie`."""
    values = {"BASE_URL": base_url, "TICKET_PATH": TICKET_PATH, "COOKIE": cookie}
    script_values = "".join(f"var {name} = {json.dumps(value)};\n" for name, value in values.items())
    return _DOOR.replace('"use strict";\n', f'"use strict";\n{script_values}', 1)


def ticket_cookie(port: int) -> str:
    """The cookie name for the server on `port` (cookies are shared between the ports of one host)."""
    return f"{TICKET_COOKIE}-{port}"


class TicketHandler(websocket.WebSocketHandler):
    """Sends one JSON message, `{"ticket": ...}` or `{"busy": reason, "retry_s": seconds}`, and closes.

    Tornado refuses the handshake when the page's `Origin` is not this server (`check_origin`).
    """

    def open(self) -> None:
        manager = self.settings["kernel_manager"]
        try:
            answer: dict = {"ticket": manager.issue_ticket()}
        except DashboardBusy as busy:
            answer = {"busy": busy.reason, "retry_s": busy.retry_s}
        self.write_message(json.dumps(answer))
        self.close()


class DoorVoilaHandler(TornadoVoilaHandler):
    """Voila's page handler behind the door: without a valid ticket it serves the door page instead."""

    def initialize(self, **kwargs) -> None:
        self.ticket_cookie = kwargs.pop("ticket_cookie")
        super().initialize(**kwargs)

    async def get(self, path: str | None = None) -> None:
        if path:  # another file than the notebook: Voila redirects it to its file handler, no kernel
            await super().get(path)
            return
        ticket = self.get_cookie(self.ticket_cookie)
        if not self.kernel_manager.redeem(ticket):
            self._door()
            return
        self.clear_cookie(self.ticket_cookie, path=self.base_url)
        try:
            await super().get(path)
        except DashboardBusy as busy:
            self.set_header("Retry-After", str(busy.retry_s))
            self._door(503)
        finally:
            self.kernel_manager.admitted(ticket)

    def _door(self, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(door_html(self.base_url, self.ticket_cookie))
