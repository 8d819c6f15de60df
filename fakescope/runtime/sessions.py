"""Read ONNX model bytes and build onnxruntime sessions: the one place the project does either.

Models are read into memory (regular files only, never past the size limit) and sessions built from the
bytes; a model whose tensors keep their data in other files is refused first (`refuse_external_data`, also
run by `fakescope.runtime.seal.open_sealed`), since onnxruntime would read those files relative to the
working folder, outside anything hashed. Every failure is a `ModelError` of one line.

Example:
    >>> session = make_session(read_model_bytes(model), model, threads=1)
    >>> [o.name for o in session.get_outputs()]
    ['prob_fake', 'logit', 'cam']
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import onnxruntime as ort

from fakescope.runtime.errors import ModelError, first_line
from fakescope.runtime.files import FileOverLimitError, NotRegularFileError, read_regular_file
from fakescope.runtime.integrity import ProtobufError, external_tensors

MAX_MODEL_BYTES = 512 * 1024 * 1024
"""Largest model file read (a MobileNetV2 detector is about 9 MB)."""


def read_model_bytes(path: str | os.PathLike, max_bytes: int = MAX_MODEL_BYTES, what: str = "model") -> bytes:
    """The bytes of the model file at `path`, refused before reading when larger than `max_bytes`.

    Args:
        path: the ONNX file.
        max_bytes: largest accepted size. Defaults to `MAX_MODEL_BYTES`.
        what: what the file is, for the messages ("model", "face detector"). Defaults to "model".

    Raises:
        ModelError: the file is missing, unreadable, not a regular file (a FIFO, a device), or too large;
            it is never read past `max_bytes`.
    """
    path = Path(path)
    try:
        return read_regular_file(path, max_bytes)
    except FileNotFoundError:
        raise ModelError(f"{what} not found: {path}") from None
    except FileOverLimitError as err:
        raise ModelError(
            f"{what} {path} is over the {max_bytes / 1e6:.0f} MB limit ({err.size / 1e6:.0f} MB or more)"
        ) from None
    except NotRegularFileError as err:
        raise ModelError(f"{what} {path} is {err.kind}, not a regular file") from None
    except (OSError, ValueError) as err:
        raise ModelError(f"cannot read {what} {path}: {getattr(err, 'strerror', None) or err}") from None


def make_session(
    model_bytes: bytes,
    path: str | os.PathLike | None = None,
    *,
    threads: int | None = None,
    providers: Sequence[str] | None = None,
) -> ort.InferenceSession:
    """An onnxruntime session of `model_bytes`: all graph optimisations, sequential, quiet.

    Args:
        model_bytes: the serialised ONNX model.
        path: where it came from, for the messages. Defaults to None ("the model").
        threads: intra-op threads. Defaults to onnxruntime's choice (all physical cores).
        providers: execution providers. Defaults to ["CPUExecutionProvider"].

    Raises:
        ModelError: the model keeps tensor data in other files, or onnxruntime cannot load it.
        ValueError: `threads` < 1.
    """
    refuse_external_data(model_bytes, str(path or "the model"))
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    if threads is not None:
        if threads < 1:
            raise ValueError(f"`threads` must be >= 1. Received: threads={threads}")
        options.intra_op_num_threads = threads
    try:
        return ort.InferenceSession(
            model_bytes, options, providers=list(providers or ["CPUExecutionProvider"])
        )
    except Exception as err:
        raise ModelError(f"{path or 'the model'} is not a usable ONNX model: {first_line(err)}") from None


def refuse_external_data(model_bytes: bytes, label: str) -> None:
    """Raise `ModelError` when any tensor of the model (anywhere in it) keeps its data in another file."""
    try:
        external = external_tensors(model_bytes)
    except ProtobufError as err:
        raise ModelError(f"{label} is not a usable ONNX model: not a well-formed protobuf ({err})") from None
    if external:
        names = ", ".join(repr(name[:40]) for name in external[:3])
        names += " and more" if len(external) > 3 else ""
        raise ModelError(
            f"{label} keeps tensor data in other files ({names}): external data is refused, since it is not "
            "covered by the seal and is read relative to the current folder; re-export the model in one file"
        )
