"""Typed errors of the runtime. Every message is one human-readable line.

Example:
    >>> from fakescope.runtime import load_image
    >>> try:
    ...     load_image(b"not an image")
    ... except InvalidImageError as err:
    ...     print(err)
    image: the data is not a PNG, JPEG, BMP, TIFF, WebP or GIF file
"""


class FakescopeError(Exception):
    """Base class of every error fakescope raises on purpose."""


class InvalidImageError(FakescopeError, ValueError):
    """The input cannot be analysed as an image."""


class UnsupportedFormatError(InvalidImageError):
    """The data is not one of the supported image formats."""


class CorruptImageError(InvalidImageError):
    """The file claims a supported format but cannot be decoded (truncated, bad checksum, ...)."""


class ImageTooLargeError(InvalidImageError):
    """The file or its declared pixel count exceeds the configured limits."""


class ImageTooSmallError(InvalidImageError):
    """A side of the image is shorter than the configured minimum."""


class ModelError(FakescopeError):
    """The ONNX model cannot be used: missing, corrupt, incompatible or tampered with."""


class ModelCardError(ModelError):
    """The model card is missing, malformed or does not match the graph."""


class ModelSealError(ModelCardError):
    """The graph or the card was changed after export: the seal over both does not match, or is missing."""


class ModelSignatureError(ModelError):
    """A signature was asked for (`Detector(trust=...)`) and is missing, malformed or not by a trusted key."""


class ReportError(FakescopeError):
    """A scan report cannot be resumed: it is not a fakescope report, or it cannot be read."""


def first_line(err: BaseException, limit: int = 200) -> str:
    """The first line of `err`'s message (at most `limit` characters), or its type name when it has none.

    Example:
        >>> first_line(ValueError("bad input\\n  deep traceback detail"))
        'bad input'
        >>> first_line(KeyError())
        'KeyError'
    """
    text = str(err).strip()
    return text.splitlines()[0][:limit] if text else type(err).__name__
