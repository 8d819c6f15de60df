"""Read what the seal needs from a serialized ONNX model, from the bytes alone (no `onnx` import).

- `graph_sha256`: a hash of every top-level field except `metadata_props` (field 14, where the card lives, so
  the card cannot contain a hash of itself): graph, weights, opsets, IR version, in file order.
- `metadata_entries`: the (key, value) pairs of `metadata_props`, in file order, duplicates kept.
- `external_tensors`: every tensor whose data lives in another file (`data_location = EXTERNAL` or an
  `external_data` entry), wherever it is: initializers, sparse initializers, Constant attributes, subgraphs of
  If/Loop/Scan, local functions, training graphs. onnxruntime would read those files relative to the current
  directory, outside anything hashed, so the runtime refuses them.

Example:
    >>> from fakescope.runtime.models import default_model_path
    >>> data = default_model_path().read_bytes()
    >>> len(graph_sha256(data)), external_tensors(data), [key for key, _ in metadata_entries(data)]
    (64, [], ['fakescope.model_card', 'fakescope.seal'])
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

METADATA_PROPS_FIELD = 14
_VARINT, _I64, _LEN, _I32 = 0, 1, 2, 5
_EXTERNAL = 1  # TensorProto.DataLocation.EXTERNAL

# Which length-delimited fields of each message hold messages that may (transitively) hold tensors.
_CHILDREN: dict[str, dict[int, str]] = {
    "model": {7: "graph", 20: "training", 25: "function"},
    "graph": {1: "node", 5: "tensor", 15: "sparse"},
    "node": {5: "attribute"},
    "function": {7: "node", 11: "attribute"},
    "attribute": {5: "tensor", 6: "graph", 10: "tensor", 11: "graph", 22: "sparse", 23: "sparse"},
    "sparse": {1: "tensor", 2: "tensor"},
    "training": {1: "graph", 2: "graph"},
    "tensor": {},
}
_TENSOR_NAME, _TENSOR_EXTERNAL_DATA, _TENSOR_DATA_LOCATION = 8, 13, 14
_MAX_DEPTH = 64


class ProtobufError(ValueError):
    """The bytes are not a well-formed protobuf message."""


def graph_sha256(model_bytes: bytes) -> str:
    """sha256 (hex) of every top-level field of a serialized ModelProto except `metadata_props`."""
    digest = hashlib.sha256()
    view = memoryview(model_bytes)
    for field, _wire, start, _body, end in _fields(model_bytes, 0, len(model_bytes)):
        if field != METADATA_PROPS_FIELD:
            digest.update(view[start:end])
    return digest.hexdigest()


def metadata_entries(model_bytes: bytes) -> list[tuple[str, str]]:
    """The (key, value) pairs of the model's `metadata_props`, in file order (duplicates kept)."""
    entries = []
    for field, wire, _start, body, end in _fields(model_bytes, 0, len(model_bytes)):
        if field != METADATA_PROPS_FIELD:
            continue
        if wire != _LEN:
            raise ProtobufError("metadata_props is not a message")
        parts = {1: b"", 2: b""}
        for sub, sub_wire, _s, sub_body, sub_end in _fields(model_bytes, body, end):
            if sub in parts and sub_wire == _LEN:
                parts[sub] = model_bytes[sub_body:sub_end]
        try:
            entries.append((parts[1].decode("utf-8"), parts[2].decode("utf-8")))
        except UnicodeDecodeError:
            raise ProtobufError("a metadata entry is not UTF-8") from None
    return entries


def metadata_field(key: str, value: str) -> bytes:
    """One serialized top-level `metadata_props` entry, to append to a model's bytes."""
    entry = _len_field(1, key.encode("utf-8")) + _len_field(2, value.encode("utf-8"))
    return _len_field(METADATA_PROPS_FIELD, entry)


def without_metadata(model_bytes: bytes, keys: set[str]) -> bytes:
    """The model's bytes with every `metadata_props` entry whose key is in `keys` left out."""
    kept = {index for index, (key, _) in enumerate(metadata_entries(model_bytes)) if key not in keys}
    out, index = bytearray(), 0
    for field, _wire, start, _body, end in _fields(model_bytes, 0, len(model_bytes)):
        if field == METADATA_PROPS_FIELD:
            index += 1
            if index - 1 not in kept:
                continue
        out += model_bytes[start:end]
    return bytes(out)


def external_tensors(model_bytes: bytes) -> list[str]:
    """Names of the tensors anywhere in the model whose data is stored outside the file."""
    found, stack = [], [("model", 0, len(model_bytes), 0)]
    while stack:
        kind, start, end, depth = stack.pop()
        if depth > _MAX_DEPTH:
            raise ProtobufError(f"messages nested over {_MAX_DEPTH} deep")
        name, external = "", False
        for field, wire, _s, body, field_end in _fields(model_bytes, start, end):
            if kind == "tensor":
                if field == _TENSOR_NAME and wire == _LEN:
                    name = bytes(model_bytes[body:field_end]).decode("utf-8", "replace")
                elif field == _TENSOR_EXTERNAL_DATA:
                    external = True
                elif field == _TENSOR_DATA_LOCATION and wire == _VARINT:
                    external = external or _varint(model_bytes, body)[0] == _EXTERNAL
            elif wire == _LEN and field in _CHILDREN[kind]:
                stack.append((_CHILDREN[kind][field], body, field_end, depth + 1))
        if external:
            found.append(name or "(unnamed)")
    return found


def _fields(data: bytes, pos: int, size: int) -> Iterator[tuple[int, int, int, int, int]]:
    """Yield (field number, wire type, start with the tag, start of the value, end) of each field."""
    while pos < size:
        start = pos
        key, pos = _varint(data, pos, size)
        field, wire = key >> 3, key & 7
        if field == 0:
            raise ProtobufError("field number 0")
        body = pos
        if wire == _VARINT:
            _, pos = _varint(data, pos, size)
        elif wire == _I64:
            pos += 8
        elif wire == _I32:
            pos += 4
        elif wire == _LEN:
            length, body = _varint(data, pos, size)
            pos = body + length
        else:
            raise ProtobufError(f"unsupported wire type {wire}")
        if pos > size:
            raise ProtobufError("truncated message")
        yield field, wire, start, body, pos


def _varint(data: bytes, pos: int, size: int | None = None) -> tuple[int, int]:
    end = len(data) if size is None else size
    value, shift = 0, 0
    while True:
        if pos >= end or shift > 63:
            raise ProtobufError("truncated varint")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7


def _encode_varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _len_field(field: int, payload: bytes) -> bytes:
    return _encode_varint(field << 3 | _LEN) + _encode_varint(len(payload)) + payload
