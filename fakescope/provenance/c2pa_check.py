"""Validate an image's C2PA manifest store with c2pa-python, offline, into a `C2paSummary`.

c2pa-rs reports a `validation_state`: "Trusted" (intact, signer chains to a trust anchor), "Valid" (intact,
signer not trusted) or "Invalid" (a hash or signature does not match, or the manifest is damaged); these
become "valid", "untrusted" and "invalid". A manifest that fails validation is never reported as trusted,
and its actions declare nothing. A manifest kept at a remote address is never fetched: it is reported as
present and not checked, with its address.

Example:
    >>> import io
    >>> from PIL import Image
    >>> buffer = io.BytesIO()
    >>> Image.new("RGB", (8, 8)).save(buffer, "JPEG")
    >>> C2paChecker()(buffer.getvalue(), "image/jpeg").text
    'no C2PA manifest'
"""

from __future__ import annotations

import io
import json

from fakescope.runtime.errors import FakescopeError, first_line
from fakescope.runtime.files import read_regular_file
from fakescope.runtime.provenance import MAX_RAW_CHARS, C2paAction, C2paSummary, clip

MAX_ACTIONS = 16
MAX_TRUST_BYTES = 1024 * 1024
"""Largest trust-anchor file read (a PEM root certificate is about 2 KB)."""
MAX_FAILURES = 8
STATES = {"Trusted": "valid", "Valid": "untrusted", "Invalid": "invalid"}

OFFLINE = {
    "verify": {
        "verify_after_reading": True,
        "verify_trust": True,
        "remote_manifest_fetch": False,
        "ocsp_fetch": False,
    },
    "core": {"allowed_network_hosts": []},
}
"""Settings that keep c2pa-rs off the network: no remote manifests, no OCSP, no allowed hosts at all."""


class C2paTrustError(FakescopeError, ValueError):
    """The C2PA trust anchors cannot be read, or are not PEM certificates c2pa-rs accepts."""


def read_trust_anchors(path) -> str:
    """The PEM text of a trust-anchor file: a regular file of at most `MAX_TRUST_BYTES`, ASCII.

    Raises:
        C2paTrustError: missing, unreadable, not a regular file (a FIFO, `/dev/zero`), too large, not text.
    """
    try:
        data = read_regular_file(path, MAX_TRUST_BYTES)
    except (OSError, ValueError) as err:
        raise C2paTrustError(f"cannot read {path}: {getattr(err, 'strerror', None) or err}") from None
    try:
        return data.decode("ascii")
    except UnicodeDecodeError:
        raise C2paTrustError(f"{path} is not PEM text") from None


class C2paChecker:
    """Callable `(data, mime_type) -> C2paSummary`, one c2pa `Context` built once and shared.

    Args:
        trust_anchors: PEM root certificates whose signers are trusted. Defaults to None: no signer is
            trusted, so an intact manifest is "untrusted" (C2PA's own trust list is never fetched).

    Raises:
        C2paTrustError: `trust_anchors` is not PEM certificates c2pa-rs accepts.
    """

    def __init__(self, trust_anchors: str | None = None) -> None:
        import c2pa

        self._c2pa = c2pa
        self._trusting = trust_anchors is not None
        settings = {**OFFLINE, "trust": {"trust_anchors": trust_anchors}}
        try:
            self._context = c2pa.Context.from_dict(settings)
        except c2pa.C2paError as err:
            raise C2paTrustError(f"the C2PA trust anchors are not usable ({first_line(err)})") from None

    def __repr__(self) -> str:
        trust = "trusting the given roots" if self._trusting else "trusting no signer"
        return f"C2paChecker(offline, {trust})"

    def __call__(self, data: bytes, mime_type: str) -> C2paSummary:
        c2pa = self._c2pa
        try:
            reader = c2pa.Reader.try_create(mime_type, io.BytesIO(data), None, self._context)
        except c2pa.C2paError as err:
            text = str(err)
            if isinstance(err, c2pa.C2paError.RemoteManifest) or text.startswith("Remote"):
                url = text.rsplit(" ", 1)[-1] if "url" in text else None
                return C2paSummary(present=True, checked=False, remote_url=clip(url, 200) if url else None)
            return C2paSummary(True, True, "invalid", failures=(clip(f"unreadable: {text}", MAX_RAW_CHARS),))
        if reader is None:
            return C2paSummary(present=False, checked=True)
        with reader:
            store = json.loads(reader.json())
        return summarise(store)


def summarise(store: dict) -> C2paSummary:
    """The `C2paSummary` of a c2pa-rs manifest store (the JSON `Reader.json()` returns)."""
    manifest = store.get("manifests", {}).get(store.get("active_manifest") or "", {})
    state = STATES.get(store.get("validation_state", ""), "invalid")
    failures = tuple(
        clip(str(item.get("code", "")), 80)
        for item in store.get("validation_results", {}).get("activeManifest", {}).get("failure", [])
    )
    if state != "valid":
        failures += tuple(
            clip(str(item.get("code", "")), 80)
            for item in store.get("validation_status", [])
            if str(item.get("code", "")) not in failures
        )
    signature = manifest.get("signature_info", {})
    return C2paSummary(
        present=True,
        checked=True,
        signature=state if manifest else "invalid",
        issuer=_text(signature.get("issuer")),
        generator=_generator(manifest),
        actions=tuple(_actions(manifest))[:MAX_ACTIONS],
        failures=failures[:MAX_FAILURES],
    )


def _actions(manifest: dict):
    for assertion in manifest.get("assertions", []):
        if str(assertion.get("label", "")).startswith("c2pa.actions"):
            for action in assertion.get("data", {}).get("actions", []):
                agent = action.get("softwareAgent")
                software = agent.get("name") if isinstance(agent, dict) else agent
                source = action.get("digitalSourceType")
                yield C2paAction(
                    clip(str(action.get("action", "")), 80),
                    clip(str(source).rsplit("/", 1)[-1], 80) if source else None,
                    _text(software),
                )


def _generator(manifest: dict) -> str | None:
    info = manifest.get("claim_generator_info") or []
    names = [i.get("name") for i in info if isinstance(i, dict) and i.get("name")]
    agents = [a.software for a in _actions(manifest) if a.software]
    return _text((agents or names or [manifest.get("claim_generator")])[0])


def _text(value: object) -> str | None:
    return clip(value, 120) if isinstance(value, str) and value.strip() else None


def checker_if_installed(trust_anchors: str | None = None) -> C2paChecker | None:
    """A `C2paChecker` when c2pa-python is installed, else None (provenance then says C2PA not checked)."""
    try:
        return C2paChecker(trust_anchors)
    except ImportError:
        return None
