"""Decode and validate images: the one entry point every part of fakescope uses.

Example:
    >>> image = load_image("face.jpg")
    >>> image.pixels.shape, image.info.format
    ((480, 640, 3), 'JPEG')
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image, UnidentifiedImageError

from fakescope.runtime.budget import decode_cost
from fakescope.runtime.errors import (
    CorruptImageError,
    ImageTooLargeError,
    ImageTooSmallError,
    InvalidImageError,
    UnsupportedFormatError,
)
from fakescope.runtime.files import FileOverLimitError, NotRegularFileError, read_regular_file
from fakescope.runtime.metadata import read_provenance
from fakescope.runtime.pixels import orient, to_rgb
from fakescope.runtime.provenance import NO_PROVENANCE, C2paCheck, Provenance

ImageSource = str | os.PathLike | bytes | bytearray | BinaryIO | Image.Image | np.ndarray

SUPPORTED_FORMATS = ("PNG", "JPEG", "BMP", "TIFF", "WEBP", "GIF")
"""Pillow decoders tried; the JPEG one also opens cameras' multi-picture (MPO) files, reported as JPEG."""

SUPPORTED_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".gif")


@dataclass(frozen=True)
class ImageLimits:
    """Bounds applied before and after decoding.

    Args:
        max_file_bytes: largest encoded file accepted. Defaults to 10 MB.
        min_side: shortest side accepted, in pixels. Defaults to 32.
        max_pixels: largest declared width x height; checked from the header, before any pixel is decoded,
            so a decompression bomb costs nothing. Defaults to 40 megapixels.
        max_side: longer images are downscaled (not refused) to this side. Defaults to 4096.
        max_decode_bytes: the memory budget of decoding one image: the decoded frame (mode x pixels), the
            decoder's buffers and the RGB output, computed from the header (`decode_cost`); an image over it
            is refused before any pixel is decoded. Defaults to 256 MiB.
    """

    max_file_bytes: int = 10 * 1024 * 1024
    min_side: int = 32
    max_pixels: int = 40_000_000
    max_side: int = 4096
    max_decode_bytes: int = 256 * 1024 * 1024

    def __post_init__(self) -> None:
        for name in ("max_file_bytes", "min_side", "max_pixels", "max_side", "max_decode_bytes"):
            if getattr(self, name) < 1:
                raise ValueError(f"`{name}` must be >= 1. Received: {name}={getattr(self, name)}")


DEFAULT_LIMITS = ImageLimits()


@dataclass(frozen=True)
class ImageInfo:
    """What a person wants to know about an uploaded image (sizes after EXIF orientation), and what its
    metadata declares about its origin (`provenance`; empty for pixels given as an array)."""

    width: int
    height: int
    format: str
    mode: str
    file_size: int | None
    name: str | None = None
    provenance: Provenance = field(default=NO_PROVENANCE, repr=False)

    @property
    def aspect_ratio(self) -> float:
        return self.width / self.height

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "width": self.width,
            "height": self.height,
            "format": self.format,
            "mode": self.mode,
            "aspect_ratio": round(self.aspect_ratio, 4),
            "file_size": self.file_size,
        }


@dataclass(frozen=True)
class DecodedImage:
    """RGB uint8 pixels (H, W, 3) and the facts about the original file."""

    pixels: np.ndarray
    info: ImageInfo


def load_image(
    source: ImageSource,
    limits: ImageLimits = DEFAULT_LIMITS,
    *,
    draft_size: tuple[int, int] | None = None,
    name: str | None = None,
    c2pa: C2paCheck | None = None,
) -> DecodedImage:
    """Decode `source` into RGB uint8 pixels, applying EXIF orientation and the limits.

    Args:
        source: a path, bytes, a binary file object, a PIL image or a uint8 (H, W, 3) array.
        limits: size limits. Defaults to `DEFAULT_LIMITS`.
        draft_size: when set, JPEG decoding may use DCT scaling down to no less than this (width, height),
            a large speed-up for inference-only callers. Defaults to None (full decode).
        name: display name recorded in the info. Defaults to the file name of a path.
        c2pa: validates C2PA manifests for `info.provenance` (`fakescope.provenance.C2paChecker`). Defaults
            to None: the provenance says C2PA was not checked.

    Returns:
        A `DecodedImage`.

    Raises:
        InvalidImageError: or its subclasses UnsupportedFormatError, CorruptImageError, ImageTooLargeError,
            ImageTooSmallError.
    """
    if isinstance(source, np.ndarray):
        return _from_array(source, limits, name)
    if isinstance(source, Image.Image):
        return _from_pil(source, limits, file_size=None, name=name, draft_size=None, encoded=None, c2pa=None)
    data, name = _read_bytes(source, limits, name)
    try:
        pil = Image.open(io.BytesIO(data), formats=SUPPORTED_FORMATS)
    except UnidentifiedImageError:
        raise UnsupportedFormatError(
            f"{_label(name)}: the data is not a PNG, JPEG, BMP, TIFF, WebP or GIF file"
        ) from None
    except Image.DecompressionBombError as err:
        raise ImageTooLargeError(
            f"{_label(name)}: declared size is over the safety limit ({_short(err)})"
        ) from None
    except Exception as err:  # Pillow raises many types on malformed headers
        raise CorruptImageError(f"{_label(name)}: unreadable image header ({_short(err)})") from None
    with pil:
        return _from_pil(
            pil, limits, file_size=len(data), name=name, draft_size=draft_size, encoded=data, c2pa=c2pa
        )


def _verify_png(data: bytes, name: str | None) -> None:
    """Check every chunk's CRC (Pillow's decoder skips the IDAT checksums)."""
    try:
        with Image.open(io.BytesIO(data), formats=("PNG",)) as probe:
            probe.verify()
    except Exception as err:
        raise CorruptImageError(f"{_label(name)}: the PNG data is damaged ({_short(err)})") from None


def _read_bytes(source: ImageSource, limits: ImageLimits, name: str | None) -> tuple[bytes, str | None]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    elif isinstance(source, (str, os.PathLike)):
        path = Path(source)
        name = name or path.name
        try:
            data = read_regular_file(path, limits.max_file_bytes)
        except FileOverLimitError as err:
            raise ImageTooLargeError(_too_big(name, err.size, limits)) from None
        except NotRegularFileError as err:
            raise InvalidImageError(f"{_label(name)}: {err}") from None
        except FileNotFoundError:
            raise InvalidImageError(f"{_label(name)}: no such file") from None
        except PermissionError:
            raise InvalidImageError(f"{_label(name)}: permission denied") from None
        except IsADirectoryError:
            raise InvalidImageError(f"{_label(name)}: is a directory") from None
        except OSError as err:  # a link loop, a name too long, a path through a file, an I/O error, ...
            raise InvalidImageError(f"{_label(name)}: cannot read the file ({err.strerror or err})") from None
        except ValueError:  # e.g. an embedded NUL byte
            raise InvalidImageError(f"{_label(name)}: not a valid file path") from None
    elif hasattr(source, "read"):
        name = name or _file_object_name(source)
        data = source.read(limits.max_file_bytes + 1)
        if not isinstance(data, (bytes, bytearray)):
            raise InvalidImageError(f"{_label(name)}: file object must be opened in binary mode")
    else:
        raise InvalidImageError(f"cannot read an image from a {type(source).__name__}")
    if len(data) > limits.max_file_bytes:
        raise ImageTooLargeError(_too_big(name, len(data), limits))
    if not data:
        raise UnsupportedFormatError(f"{_label(name)}: the file is empty")
    return data, name


def _from_pil(
    pil: Image.Image,
    limits: ImageLimits,
    *,
    file_size: int | None,
    name: str | None,
    draft_size: tuple[int, int] | None,
    encoded: bytes | None,
    c2pa: C2paCheck | None,
) -> DecodedImage:
    fmt = "JPEG" if pil.format == "MPO" else (pil.format or "RAW")
    mode = pil.mode
    width, height = declared = pil.size
    if width * height > limits.max_pixels:
        raise ImageTooLargeError(
            f"{_label(name)}: {width}x{height} pixels is over the limit of {limits.max_pixels:,} pixels"
        )
    orientation = _exif_orientation(pil) if _exif_in_header(pil) else None
    if min(width, height) < limits.min_side:
        raise ImageTooSmallError(
            f"{_label(name)}: {width}x{height} is smaller than the minimum side of {limits.min_side} px"
        )
    if fmt == "PNG" and encoded is not None:
        _verify_png(encoded, name)
    if fmt == "JPEG":
        target = draft_size or (limits.max_side, limits.max_side)
        if orientation in (5, 6, 7, 8):
            target = (target[1], target[0])
        pil.draft("RGB" if mode in ("RGB", "YCbCr") else None, _cover_size(pil.size, target))
    out_size = _fit_size(pil.size, limits.max_side)
    cost = decode_cost(pil, out_size, declared, len(encoded or b""))
    if cost.total > limits.max_decode_bytes:
        raise ImageTooLargeError(
            f"{_label(name)}: decoding {declared[0]}x{declared[1]} {mode} {fmt} would take about "
            f"{cost.total / 2**20:.0f} MiB, over the budget of {limits.max_decode_bytes / 2**20:.0f} MiB"
        )
    try:
        pil.load()
        provenance = read_provenance(pil, encoded, c2pa)
        if orientation is None:  # a PNG's eXIf chunk after its pixels is only read by decoding them
            orientation = _exif_orientation(pil)
        pixels = orient(to_rgb(pil, out_size), orientation)
    except InvalidImageError:
        raise
    except MemoryError:
        raise ImageTooLargeError(f"{_label(name)}: not enough memory to decode the image") from None
    except Exception as err:
        raise CorruptImageError(f"{_label(name)}: the image data is damaged ({_short(err)})") from None
    if orientation in (5, 6, 7, 8):
        width, height = height, width
    info = ImageInfo(width, height, fmt, mode, file_size, name, provenance)
    return DecodedImage(pixels=pixels, info=info)


def _from_array(array: np.ndarray, limits: ImageLimits, name: str | None) -> DecodedImage:
    if array.dtype != np.uint8 or array.ndim != 3 or array.shape[2] != 3:
        raise InvalidImageError(
            f"arrays must be uint8 with shape (H, W, 3). Received: dtype={array.dtype}, shape={array.shape}"
        )
    height, width = array.shape[:2]
    if height * width > limits.max_pixels:
        raise ImageTooLargeError(f"{_label(name)}: {width}x{height} pixels is over the limit")
    if min(height, width) < limits.min_side:
        raise ImageTooSmallError(
            f"{_label(name)}: {width}x{height} is smaller than the minimum side of {limits.min_side} px"
        )
    pixels = _limit_side(np.ascontiguousarray(array), limits.max_side)
    return DecodedImage(pixels, ImageInfo(width, height, "RAW", "RGB", None, name))


def _exif_in_header(pil: Image.Image) -> bool:
    """Whether the EXIF block can be read without decoding (Pillow's PNG `getexif` decodes the pixels)."""
    return pil.format != "PNG" or "exif" in pil.info


def _exif_orientation(pil: Image.Image) -> int | None:
    try:
        return pil.getexif().get(0x0112)
    except Exception:  # a damaged EXIF block does not make the pixels unusable
        return None


def _cover_size(size: tuple[int, int], target: tuple[int, int]) -> tuple[int, int]:
    """The (w, h) that JPEG draft must not go below so a centre crop still covers `target`."""
    width, height = size
    scale = max(target[0] / width, target[1] / height)
    return (max(1, round(width * scale)), max(1, round(height * scale)))


def _fit_size(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    """(w, h) scaled so the longer side is at most `max_side`."""
    width, height = size
    if max(width, height) <= max_side:
        return size
    scale = max_side / max(width, height)
    return (max(1, round(width * scale)), max(1, round(height * scale)))


def _limit_side(pixels: np.ndarray, max_side: int) -> np.ndarray:
    height, width = pixels.shape[:2]
    size = _fit_size((width, height), max_side)
    if size == (width, height):
        return pixels
    return np.asarray(Image.fromarray(pixels).resize(size, Image.Resampling.BILINEAR), dtype=np.uint8)


def _file_object_name(source: BinaryIO) -> str | None:
    raw = getattr(source, "name", None)
    return Path(raw).name if isinstance(raw, str) else None


def _label(name: str | None) -> str:
    if not name:
        return "image"
    printable = "".join(ch if ch.isprintable() else "?" for ch in name)
    return printable if len(printable) <= 120 else printable[:117] + "..."


def _too_big(name: str | None, size: int, limits: ImageLimits) -> str:
    limit = limits.max_file_bytes / 2**20
    return f"{_label(name)}: file is {size / 2**20:.1f} MiB, over the limit of {limit:.1f} MiB"


def _short(err: Exception) -> str:
    text = " ".join(str(err).split()) or type(err).__name__
    return text if len(text) <= 100 else text[:97] + "..."
