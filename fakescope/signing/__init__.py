"""Ed25519 signatures over a model's seal, for people who distribute models (extra `signing`: cryptography).

The runtime never imports this package: `Detector(trust=...)` takes any object with a
`verify(message, signature)` method, and `TrustedKeys` is the one this package provides.

Example:
    >>> private, public = generate_keypair("publisher")      # publisher.key (keep it secret), publisher.pub
    >>> sign_model_file("model.onnx", load_private_key(private))
    >>> Detector("model.onnx", trust=TrustedKeys.from_file(public)).sealed.signed
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
