"""The model's I/O contract: names shared by export, validation, the model card and the runtime.

Example:
    >>> from fakescope.runtime.spec import INPUT_IMAGE, OUTPUT_PROB
    >>> batch = np.zeros((2, 32, 32, 3), np.float32)
    >>> [out.shape for out in detector.session.run([OUTPUT_PROB], {INPUT_IMAGE: batch})]
    [(2, 1)]
"""

INPUT_IMAGE = "image"
"""Input: float32 (N, H, W, 3), NHWC, values in the card's range."""

OUTPUT_PROB = "prob_fake"
"""Output: float32 (N, 1), P(fake) after the sigmoid."""

OUTPUT_LOGIT = "logit"
"""Output: float32 (N, 1), the logit before the sigmoid."""

OUTPUT_CAM = "cam"
"""Output: float32 (N, h, w), Grad-CAM of the logit at the last feature map: ReLU(sum_k w_k A_k) / (h w)."""

OUTPUT_NAMES = (OUTPUT_PROB, OUTPUT_LOGIT, OUTPUT_CAM)
"""The outputs every fakescope model has."""

# The closed forms below hold for the head A (N, h, w, K) -> GAP -> Dense(1) (kernel w) whose logit is
# y = b + sum_k w_k mean(A_k); see `fakescope.export.head` for their derivations.
OUTPUT_CAM_LAYER = "cam_layercam"
"""Output: float32 (N, h, w), LayerCAM (positive evidence): ReLU(sum_k max(w_k, 0) A_k) / (h w)."""

OUTPUT_CAM_PLUSPLUS = "cam_gradcampp"
"""Output: float32 (N, h, w), Grad-CAM++: ReLU(sum_k v_k A_k), v_k = max(w_k, 0) / (2 + w_k mean(A_k))."""

OUTPUT_CAM_ABLATION = "cam_ablationcam"
"""Output: float32 (N, h, w), Ablation-CAM: ReLU(sum_k (y - y_k) A_k) / (h w), y - y_k = w_k mean(A_k)."""

OUTPUT_CAM_REAL = "cam_realcam"
"""Output: float32 (N, h, w), the evidence for REAL (Grad-CAM of -y): ReLU(-sum_k w_k A_k) / (h w)."""

OUTPUT_FEATURES = "features"
"""Output: float32 (N, h, w, K), the feature map A, for the forward-only Score-CAM and Eigen-CAM."""

EXPLAIN_OUTPUTS = (
    OUTPUT_CAM_LAYER,
    OUTPUT_CAM_PLUSPLUS,
    OUTPUT_CAM_ABLATION,
    OUTPUT_CAM_REAL,
    OUTPUT_FEATURES,
)
"""The outputs models exported since the CAM family carry besides `OUTPUT_NAMES` (older models lack them)."""

OUTPUT_OOD = "ood_score"
"""Optional output: float32 (N,), min over classes of the squared Mahalanobis distance of the pooled features
(the GAP output) to the training data's class means, with their shared covariance (the card's `ood`)."""

CARD_METADATA_KEY = "fakescope.model_card"
"""Key of the single JSON entry in the ONNX `metadata_props` that holds the model card."""

CLASS_NAMES = ("REAL", "FAKE")
"""Label convention: real = 0, fake = 1. The verdicts and the card's class names."""

CLASS_FOLDERS = ("real", "fake")
"""The same classes as dataset folders, table labels and EDA legends: `CLASS_FOLDERS[label]`."""


def class_name(prob_fake: float, threshold: float) -> str:
    """The class P(fake) falls in at `threshold`: FAKE at or above it, else REAL (the verdicts' one rule).

    Example:
        >>> class_name(0.5, 0.5), class_name(0.49, 0.5)
        ('FAKE', 'REAL')
    """
    return CLASS_NAMES[1] if prob_fake >= threshold else CLASS_NAMES[0]


CAM_LAYER = "last_conv"
"""The Keras layer whose feature map the in-graph Grad-CAM reads (the card's `cam_layer`)."""

SCALE_LAYER, GAP_LAYER, DROPOUT_LAYER = "scale", "gap", "dropout"
"""The other named layers of a fakescope Keras model: input scaling, GlobalAveragePooling2D, Dropout; the
Dense(1) logit and the sigmoid are named after their outputs (`OUTPUT_LOGIT`, `OUTPUT_PROB`)."""

HEAD_LAYERS = (GAP_LAYER, DROPOUT_LAYER, OUTPUT_LOGIT, OUTPUT_PROB)
"""The head, in order after `CAM_LAYER`, that the exporter checks and turns into the CAM output."""
