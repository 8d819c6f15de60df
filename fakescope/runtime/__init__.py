"""Edge inference: numpy, Pillow and onnxruntime only.

Example:
    >>> from fakescope.runtime import Detector
    >>> Detector().predict("face.jpg").label
    'REAL'
"""

from fakescope.runtime.card import ModelCard
from fakescope.runtime.detector import Detector
from fakescope.runtime.errors import (
    CorruptImageError,
    FakescopeError,
    ImageTooLargeError,
    ImageTooSmallError,
    InvalidImageError,
    ModelCardError,
    ModelError,
    UnsupportedFormatError,
)
from fakescope.runtime.heatmap import jet, normalize_cams, overlay, place_cams
from fakescope.runtime.images import (
    DEFAULT_LIMITS,
    SUPPORTED_EXTENSIONS,
    DecodedImage,
    ImageInfo,
    ImageLimits,
    load_image,
)
from fakescope.runtime.models import default_model_path, list_models, models_dir
from fakescope.runtime.preprocess import InputSpec, model_view, preprocess
from fakescope.runtime.provenance import C2paSummary, Provenance
from fakescope.runtime.results import FaceVerdict, Prediction, Rejected, Timings

__all__ = [
    "DEFAULT_LIMITS",
    "SUPPORTED_EXTENSIONS",
    "C2paSummary",
    "CorruptImageError",
    "DecodedImage",
    "Detector",
    "FaceVerdict",
    "FakescopeError",
    "ImageInfo",
    "ImageLimits",
    "ImageTooLargeError",
    "ImageTooSmallError",
    "InputSpec",
    "InvalidImageError",
    "ModelCard",
    "ModelCardError",
    "ModelError",
    "Prediction",
    "Provenance",
    "Rejected",
    "Timings",
    "UnsupportedFormatError",
    "default_model_path",
    "jet",
    "list_models",
    "load_image",
    "model_view",
    "models_dir",
    "normalize_cams",
    "overlay",
    "place_cams",
    "preprocess",
]
