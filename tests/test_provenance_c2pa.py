"""C2PA Content Credentials through the `provenance` extra: images signed in the test with a test CA, checked
offline (valid, tampered, untrusted signer, stripped, malformed), and never a network connection."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("c2pa")

from c2pa_factory import make_credentials, sign
from image_factory import encode
from provenance_factory import jpeg, picture, stripped

from fakescope.provenance import C2paChecker, C2paTrustError, checker_if_installed
from fakescope.runtime import Detector, load_image

HERE = Path(__file__).parent


@pytest.fixture(scope="module")
def credentials():
    return make_credentials("Trusted")


@pytest.fixture(scope="module")
def checker(credentials):
    return C2paChecker(trust_anchors=credentials.ca_pem)


@pytest.fixture(scope="module")
def signed(credentials) -> bytes:
    return sign(jpeg(), credentials, source_type="trainedAlgorithmicMedia", generator="Test Firefly")


def provenance_of(data: bytes, checker):
    return load_image(data, c2pa=checker).info.provenance


def test_a_valid_manifest_declares_ai_generation(signed, checker, no_network):
    found = provenance_of(signed, checker)
    c2pa = found.c2pa
    assert (c2pa.present, c2pa.checked, c2pa.signature) == (True, True, "valid")
    assert c2pa.issuer == "Fakescope Test CA" and c2pa.generator == "Test Firefly"
    assert [(a.action, a.source_type) for a in c2pa.actions] == [("c2pa.created", "trainedAlgorithmicMedia")]
    assert (found.declared, found.source, found.generator) == ("generated", "c2pa", "Test Firefly")
    assert found.panel == "declared AI" and "signature valid" in found.summary


def test_a_png_manifest_is_read_too(credentials, checker):
    data = sign(encode(picture(), "PNG"), credentials, "image/png", source_type="digitalCapture")
    found = provenance_of(data, checker)
    assert (found.c2pa.signature, found.declared, found.panel) == ("valid", "camera", "camera")


def test_a_manifest_tampered_after_signing_is_invalid_and_declares_nothing(signed, checker, no_network):
    tampered = bytearray(signed)
    tampered[-200] ^= 0xFF  # a byte of the compressed pixels, covered by the manifest's hash
    found = provenance_of(bytes(tampered), checker)
    assert (found.c2pa.present, found.c2pa.signature) == (True, "invalid")
    assert found.c2pa.failures and found.declared is None
    assert found.panel == "manifest invalid" and found.summary.startswith("C2PA manifest invalid")


def test_an_untrusted_signer_is_not_trusted(checker, no_network):
    stranger = sign(jpeg(), make_credentials("Stranger"))
    found = provenance_of(stranger, checker)
    assert found.c2pa.signature == "untrusted" and "untrusted signer" in found.summary
    assert C2paChecker()(stranger, "image/jpeg").signature == "untrusted"


def test_a_stripped_copy_has_no_manifest(signed, checker):
    found = provenance_of(stripped(signed, "JPEG"), checker)
    assert (found.c2pa.present, found.c2pa.checked, found.declared) == (False, True, None)
    assert found.c2pa.text == "no C2PA manifest" and found.panel == "no provenance data"


@pytest.mark.parametrize("fmt", ["BMP", "GIF"])
def test_a_format_that_carries_no_manifest_is_not_called_invalid(checker, fmt):
    found = provenance_of(encode(picture(), fmt), checker)
    assert found.c2pa.signature is None and found.c2pa.text == "C2PA not checked"
    assert found.panel == "no provenance data"


def test_without_a_checker_the_manifest_is_seen_but_not_checked(signed):
    found = load_image(signed).info.provenance
    assert found.c2pa.present and not found.c2pa.checked and found.declared is None


def test_a_malformed_manifest_is_invalid_in_one_line(signed, checker, no_network):
    start = signed.index(b"\xff\xeb")
    length = int.from_bytes(signed[start + 2 : start + 4], "big")
    body = bytearray(signed[start + 4 : start + 2 + length])
    body[40:] = bytes(len(body) - 40)  # keep the JUMBF header, zero the manifest boxes
    broken = signed[: start + 4] + bytes(body) + signed[start + 2 + length :]
    found = provenance_of(broken, checker)
    assert found.c2pa.signature == "invalid" and found.declared is None
    assert all("\n" not in line for line in (*found.c2pa.failures, *found.notes))


def test_the_detector_checks_c2pa_and_a_trusted_disagreement_is_a_reason(
    tiny_model_path, credentials, checker
):
    plain = Detector(tiny_model_path).predict(encode(picture(), "PNG"))
    real = Detector(tiny_model_path, c2pa=checker, threshold=(1 + plain.prob_fake) / 2)
    fake = Detector(tiny_model_path, c2pa=checker, threshold=plain.prob_fake / 2)

    def signed_png(source_type: str, signer=credentials) -> bytes:
        return sign(encode(picture(), "PNG"), signer, "image/png", source_type=source_type)

    generated = real.predict(signed_png("trainedAlgorithmicMedia"))
    assert generated.provenance.source == "c2pa" and generated.prob_fake == plain.prob_fake
    assert generated.verdict == "UNSURE" and any("C2PA, signature valid" in r for r in generated.reasons)
    camera = fake.predict(signed_png("digitalCapture"))
    assert camera.label == "FAKE" and camera.verdict == "UNSURE"
    assert "a camera capture by its C2PA manifest (C2PA, signature valid)" in camera.reasons
    stranger = fake.predict(signed_png("digitalCapture", make_credentials("Stranger")))
    assert stranger.provenance.c2pa.signature == "untrusted" and not stranger.reasons
    assert checker_if_installed() is not None


@pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace to watch the native library")
def test_checking_opens_no_socket_even_in_native_code(tmp_path, credentials):
    """c2pa-rs is Rust: only a system-call trace proves it opens no socket, here on a file whose manifest is
    kept at a remote address, the case where a reader would fetch."""
    url = "http://127.0.0.1:9/manifest.c2pa"
    (tmp_path / "signed.jpg").write_bytes(sign(jpeg(), credentials, remote_url=url))
    (tmp_path / "anchors.pem").write_text(credentials.ca_pem)
    script = textwrap.dedent(
        f"""
        import sys; sys.path.insert(0, {str(HERE)!r})
        from pathlib import Path
        from fakescope.provenance import C2paChecker
        from fakescope.runtime import load_image
        folder = Path({str(tmp_path)!r})
        checker = C2paChecker(trust_anchors=(folder / "anchors.pem").read_text())
        found = load_image((folder / "signed.jpg").read_bytes(), c2pa=checker).info.provenance
        assert found.c2pa.remote_url == {url!r} and not found.c2pa.checked, found.c2pa
        assert found.c2pa.text == "C2PA remote manifest not fetched" and found.declared is None
        """
    )
    log = tmp_path / "trace.log"
    subprocess.run(
        ["strace", "-f", "-qq", "-e", "trace=socket,connect", "-o", str(log), sys.executable, "-c", script],
        check=True,
        timeout=120,
    )
    calls = log.read_text().splitlines()
    assert not [line for line in calls if "AF_INET" in line], calls


def test_one_checker_serves_many_threads(signed, checker):
    """The Detector is shared between threads (scan's decoding workers), and so is its checker."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(4) as pool:
        states = set(pool.map(lambda _: checker(signed, "image/jpeg").signature, range(40)))
    assert states == {"valid"}


def test_trust_anchors_that_are_not_pem_certificates_are_a_typed_error():
    with pytest.raises(C2paTrustError, match="trust anchors are not usable"):
        C2paChecker(trust_anchors="garbage\n")


@pytest.mark.parametrize("anchors", ["/dev/zero", "fifo", "garbage.pem", "missing.pem", "binary.pem"])
def test_info_and_predict_refuse_bad_c2pa_trust_files_in_one_line(tmp_path, anchors):
    (tmp_path / "garbage.pem").write_text("not a certificate\n")
    (tmp_path / "binary.pem").write_bytes(bytes(range(256)))
    os.mkfifo(tmp_path / "fifo")
    image = tmp_path / "photo.jpg"
    image.write_bytes(jpeg())
    path = anchors if anchors.startswith("/") else str(tmp_path / anchors)
    for command in (["info", str(image)], ["predict", str(image)]):
        out = subprocess.run(
            [sys.executable, "-m", "fakescope", *command, "--c2pa-trust", path],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert out.returncode == 2 and "Traceback" not in out.stderr, out.stderr
        (error,) = [line for line in out.stderr.splitlines() if line.startswith("Error:")]
        assert "--c2pa-trust" in error, out.stderr
