"""The worker plugin: one `Detector` per Dask worker, built once from the model's bytes.

onnxruntime sessions cannot be pickled, so the client ships the model's bytes (and their sha256) once; each
worker checks the digest, writes the bytes to its local directory and loads them with the runtime's own
`Detector`, which verifies the model card there, with the C2PA checker `fakescope scan` uses. The session
runs one intra-op thread: the worker's threads are the parallelism. Tasks reach it by `worker_detector()`.

Example:
    >>> client.register_plugin(DetectorPlugin.from_file("models/fakescope-demo.onnx"))
    >>> client.submit(lambda: worker_detector().card.name).result()
    'fakescope-demo'
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from distributed import WorkerPlugin, get_worker

from fakescope.runtime.detector import Detector
from fakescope.runtime.errors import ModelError
from fakescope.runtime.sessions import read_model_bytes

PLUGIN_NAME = "fakescope-detector"


class DetectorPlugin(WorkerPlugin):
    """Builds the worker's `Detector` from `model_bytes` (refused unless their sha256 is `sha256`).

    `judging` holds the Detector's options that change verdicts (threshold, alpha, tta), as given to the
    client's own Detector.
    """

    name = PLUGIN_NAME

    def __init__(
        self,
        model_bytes: bytes,
        sha256: str,
        judging: dict | None = None,
        c2pa: bool = False,
        c2pa_trust: str | None = None,
    ) -> None:
        self.model_bytes = model_bytes
        self.sha256 = sha256
        self.judging = dict(judging or {})
        self.c2pa, self.c2pa_trust = c2pa, c2pa_trust
        self.detector: Detector | None = None

    @classmethod
    def from_file(cls, path: str | os.PathLike, **options) -> DetectorPlugin:
        """The plugin for the model file at `path` (`options`: judging, c2pa, c2pa_trust)."""
        data = read_model_bytes(path)  # regular files only, never past the model size limit
        return cls(data, hashlib.sha256(data).hexdigest(), **options)

    def __repr__(self) -> str:
        return f"DetectorPlugin(sha256={self.sha256[:12]}, {len(self.model_bytes)} bytes)"

    def _checker(self):
        """The provenance extra's offline C2PA checker when asked for, as `fakescope scan` builds it."""
        if not self.c2pa:
            return None
        try:
            from fakescope.provenance import checker_if_installed
        except ImportError:
            return None
        return checker_if_installed(self.c2pa_trust)

    def setup(self, worker) -> None:
        if hashlib.sha256(self.model_bytes).hexdigest() != self.sha256:
            raise ModelError("the model bytes a worker received do not match their sha256")
        path = Path(worker.local_directory) / f"fakescope-{self.sha256[:16]}.onnx"
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_bytes(self.model_bytes)
        os.replace(temporary, path)
        self.detector = Detector(path, threads=1, c2pa=self._checker(), **self.judging)
        self.model_bytes = b""  # the session holds the model now


def worker_detector() -> Detector:
    """The Detector of the worker this task runs on.

    Raises:
        ModelError: the plugin was not registered on this worker.
    """
    plugin = get_worker().plugins.get(PLUGIN_NAME)
    if plugin is None or plugin.detector is None:
        raise ModelError("this Dask worker has no fakescope detector: register DetectorPlugin first")
    return plugin.detector
