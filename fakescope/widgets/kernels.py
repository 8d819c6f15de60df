"""A kernel manager that caps the number of live dashboard kernels, so visitors cannot exhaust the machine.

Voila starts one kernel per open page (plus its pre-heated pool); past `max_kernels`, a new page gets
HTTP 503 with a one-line reason instead of a new process. Idle kernels are culled (see `serve.voila_config`).

Example:
    $ voila dashboard.ipynb \
        --VoilaConfiguration.multi_kernel_manager_class=fakescope.widgets.kernels.LimitedKernelManager \
        --LimitedKernelManager.max_kernels=8
"""

from __future__ import annotations

from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from tornado import web
from traitlets import Integer

DEFAULT_MAX_KERNELS = 8


class LimitedKernelManager(AsyncMappingKernelManager):
    """`AsyncMappingKernelManager` that refuses to start more than `max_kernels` kernels."""

    max_kernels = Integer(DEFAULT_MAX_KERNELS, config=True, help="Most kernels alive at once.")

    async def start_kernel(self, *args, **kwargs) -> str:
        if len(self.list_kernel_ids()) >= self.max_kernels:
            reason = f"Dashboard busy: {self.max_kernels} sessions are open, try again later"
            raise web.HTTPError(503, reason, reason=reason)
        return await super().start_kernel(*args, **kwargs)
