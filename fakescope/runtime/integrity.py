"""A hash of an ONNX model that ignores its metadata, computed from the bytes alone (no `onnx` import).

The model card lives in `ModelProto.metadata_props` (field 14), so it cannot contain a hash of itself. The
graph hash covers every other top-level field of the serialized protobuf (graph, weights, opsets, IR version),
in file order, so any change to what runs changes the hash.

Example:
    >>> graph_sha256(Path("model.onnx").read_bytes())
    '3f1c...'
"""

from __future__ import annotations

import hashlib

METADATA_PROPS_FIELD = 14
_VARINT, _I64, _LEN, _I32 = 0, 1, 2, 5


class ProtobufError(ValueError):
    """The bytes are not a well-formed protobuf message."""


def graph_sha256(model_bytes: bytes) -> str:
    """sha256 (hex) of every top-level field of a serialized ModelProto except `metadata_props`."""
    digest = hashlib.sha256()
    for field, start, end in _top_level_fields(model_bytes):
        if field != METADATA_PROPS_FIELD:
            digest.update(memoryview(model_bytes)[start:end])
    return digest.hexdigest()


def _top_level_fields(data: bytes):
    """Yield (field number, start, end) of each top-level field, tag included."""
    pos, size = 0, len(data)
    while pos < size:
        start = pos
        key, pos = _varint(data, pos)
        field, wire = key >> 3, key & 7
        if field == 0:
            raise ProtobufError("field number 0")
        if wire == _VARINT:
            _, pos = _varint(data, pos)
        elif wire == _I64:
            pos += 8
        elif wire == _I32:
            pos += 4
        elif wire == _LEN:
            length, pos = _varint(data, pos)
            pos += length
        else:
            raise ProtobufError(f"unsupported wire type {wire}")
        if pos > size:
            raise ProtobufError("truncated message")
        yield field, start, pos


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value, shift = 0, 0
    while True:
        if pos >= len(data) or shift > 63:
            raise ProtobufError("truncated varint")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7
