"""Ed25519 signatures over a model's seal, for people who distribute models (extra `signing`: cryptography).

The runtime never imports this package: `Detector(trust=...)` takes any object with a
`verify(message, signature)` method, and `TrustedKeys` is the one this package provides.

Example:
    >>> import shutil, tempfile
    >>> from pathlib import Path
    >>> from fakescope.runtime import Detector, default_model_path
    >>> folder = Path(tempfile.mkdtemp())
    >>> private, public = generate_keypair(folder / "publisher")   # publisher.key: keep it secret
    >>> model = Path(shutil.copy(default_model_path(), folder / "model.onnx"))
    >>> key = sign_model_file(model, load_private_key(private))
    >>> Detector(model, trust=TrustedKeys.from_file(public)).sealed.signed
    True
"""

from fakescope.signing.keys import SigningError, TrustedKeys, generate_keypair, key_id, load_private_key
from fakescope.signing.sign import ALGORITHM, read_signature, sign_model_bytes, sign_model_file

__all__ = [
    "ALGORITHM",
    "SigningError",
    "TrustedKeys",
    "generate_keypair",
    "key_id",
    "load_private_key",
    "read_signature",
    "sign_model_bytes",
    "sign_model_file",
]
