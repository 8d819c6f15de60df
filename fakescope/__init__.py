"""fakescope: a deepfake-image detector with an onnxruntime edge runtime and Grad-CAM explanations."""

__version__ = "0.1.0"
