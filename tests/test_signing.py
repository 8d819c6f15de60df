"""Ed25519 signing of exported models: signed models verify; tampered or wrongly keyed ones fail."""

from __future__ import annotations

import json
import stat

import numpy as np
import onnx
import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from onnx import helper
from onnx_fixtures import write_tiny_model
from PIL import Image

from fakescope.cli.main import cli
from fakescope.export.card_io import seal_model
from fakescope.runtime import Detector, ModelCard
from fakescope.runtime.errors import ModelSealError, ModelSignatureError
from fakescope.runtime.seal import SIGNATURE_METADATA_KEY
from fakescope.runtime.spec import CARD_METADATA_KEY
from fakescope.signing import (
    SigningError,
    TrustedKeys,
    generate_keypair,
    load_private_key,
    read_signature,
    sign_model_file,
)


@pytest.fixture
def keys(tmp_path):
    private, public = generate_keypair(tmp_path / "publisher")
    return load_private_key(private), TrustedKeys.from_file(public), public


@pytest.fixture
def signed(tmp_path, keys):
    path = write_tiny_model(tmp_path / "signed.onnx")
    sign_model_file(path, keys[0])
    return path


def test_keygen_writes_a_private_key_only_its_owner_reads_and_never_overwrites(tmp_path):
    private, public = generate_keypair(tmp_path / "me")
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert isinstance(serialization.load_pem_public_key(public.read_bytes()), Ed25519PublicKey)
    with pytest.raises(SigningError, match="exists already"):
        generate_keypair(tmp_path / "me")
    with pytest.raises(SigningError, match="not an unencrypted PEM private key"):
        load_private_key(public)


@pytest.mark.parametrize("stem", ["", " ", "keys/", ".", "keys/.."])
def test_keygen_refuses_a_stem_that_names_no_file(tmp_path, monkeypatch, stem):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "keys").mkdir()
    with pytest.raises(SigningError, match="needs a file name"):
        generate_keypair(stem)
    result = CliRunner().invoke(cli, ["keygen", stem])
    # One line: ours, or click's when the stem is an existing folder.
    assert result.exit_code in (1, 2) and isinstance(result.exception, SystemExit)
    assert result.output.count("Error") == 1 and "Traceback" not in result.output
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["keys"]  # no hidden .key / .pub written


def test_a_signed_model_verifies_with_the_publishers_key(signed, keys):
    detector = Detector(signed, trust=keys[1])
    assert detector.sealed.signed
    signer, raw = read_signature(detector.sealed.signature)
    assert signer == keys[1].key_ids[0] and len(raw) == 64
    public = serialization.load_pem_public_key(keys[2].read_bytes())
    public.verify(raw, detector.sealed.message)  # cryptography's own check of the same bytes
    assert 0.0 <= detector.predict(np.full((40, 40, 3), 90, np.uint8)).prob_fake <= 1.0
    assert Detector(signed).sealed.signed  # without trust the signature is carried, not asked for


def test_signing_leaves_graph_card_and_seal_unchanged(tmp_path, keys):
    path = write_tiny_model(tmp_path / "model.onnx")
    before = {p.key: p.value for p in onnx.load(path).metadata_props}
    sign_model_file(path, keys[0])
    after = onnx.load(path)
    props = {p.key: p.value for p in after.metadata_props}
    assert {k: props[k] for k in before} == before and SIGNATURE_METADATA_KEY in props
    sign_model_file(path, keys[0])  # re-signing replaces the entry
    assert [p.key for p in onnx.load(path).metadata_props].count(SIGNATURE_METADATA_KEY) == 1


def test_a_model_signed_by_another_key_is_refused(signed, tmp_path):
    _, stranger = generate_keypair(tmp_path / "stranger")
    with pytest.raises(ModelSignatureError, match="which is not trusted"):
        Detector(signed, trust=TrustedKeys.from_file(stranger))


def test_an_unsigned_model_is_refused_when_a_signature_is_asked_for(tmp_path, keys):
    with pytest.raises(ModelSignatureError, match="is not signed"):
        Detector(write_tiny_model(tmp_path / "plain.onnx"), trust=keys[1])
    with pytest.raises(TypeError, match="verify"):
        Detector(write_tiny_model(tmp_path / "plain.onnx"), trust="publisher.pub")


def _resealed(data: bytes, edit) -> bytes:
    """What a forger who knows the seal does: change the model, recompute the seal, keep the signature."""
    model = onnx.load_from_string(data)
    props = {p.key: p.value for p in model.metadata_props}
    edit(model, props)
    resealed = onnx.load_from_string(seal_model(model, ModelCard.from_json(props[CARD_METADATA_KEY])))
    fresh = {p.key: p.value for p in resealed.metadata_props}
    helper.set_model_props(resealed, fresh | {SIGNATURE_METADATA_KEY: props[SIGNATURE_METADATA_KEY]})
    return resealed.SerializeToString()


def _raise_threshold(model, props):
    card = json.loads(props[CARD_METADATA_KEY]) | {"threshold": 0.999999}
    props[CARD_METADATA_KEY] = json.dumps(card)


def _flip_weight(model, props):
    raw = bytearray(model.graph.initializer[0].raw_data)
    raw[3] ^= 0x01
    model.graph.initializer[0].raw_data = bytes(raw)


@pytest.mark.parametrize("edit", [_raise_threshold, _flip_weight], ids=["card", "graph"])
def test_a_resealed_edit_of_a_signed_model_fails_its_signature(signed, keys, tmp_path, edit):
    forged = tmp_path / "forged.onnx"
    forged.write_bytes(_resealed(signed.read_bytes(), edit))
    Detector(forged)  # the seal alone is satisfied: a forger can recompute it
    with pytest.raises(ModelSignatureError, match="does not match: the graph or card changed after signing"):
        Detector(forged, trust=keys[1])


def test_an_edit_that_is_not_resealed_fails_the_seal_first(signed, keys, tmp_path):
    model = onnx.load(signed)
    _flip_weight(model, {})
    tampered = tmp_path / "tampered.onnx"
    tampered.write_bytes(model.SerializeToString())
    with pytest.raises(ModelSealError):
        Detector(tampered, trust=keys[1])


@pytest.mark.parametrize(
    "entry",
    ["not json", json.dumps({"algorithm": "rsa", "key_id": "x", "signature": "AA=="}), json.dumps({})],
)
def test_malformed_signature_entries_are_typed_errors(entry):
    with pytest.raises(ModelSignatureError):
        read_signature(entry)


def test_cli_keygen_and_info_trust(tmp_path, signed):
    runner = CliRunner()
    made = runner.invoke(cli, ["keygen", str(tmp_path / "cli")])
    assert made.exit_code == 0 and "key id" in made.output
    again = runner.invoke(cli, ["keygen", str(tmp_path / "cli")])
    assert again.exit_code == 1 and "exists already" in again.output
    wrong = runner.invoke(cli, ["info", str(signed), "--trust", str(tmp_path / "cli.pub")])
    assert wrong.exit_code == 1 and "which is not trusted" in wrong.output
    right = runner.invoke(cli, ["info", str(signed), "--trust", str(tmp_path / "publisher.pub")])
    assert right.exit_code == 0, right.output
    assert "verified against" in right.output and "seal" in right.output
    image = tmp_path / "grey.png"
    Image.new("RGB", (40, 40), (90, 90, 90)).save(image)
    trusted = ["predict", str(image), "--model", str(signed), "--format", "json"]
    ok = runner.invoke(cli, [*trusted, "--trust", str(tmp_path / "publisher.pub")])
    assert ok.exit_code == 0, ok.output
    refused = runner.invoke(cli, [*trusted, "--trust", str(tmp_path / "cli.pub")])
    assert refused.exit_code == 1 and "which is not trusted" in refused.output


def test_export_sign_writes_a_model_that_verifies(tmp_path):
    from support.export_runs import save_run

    private, public = generate_keypair(tmp_path / "pub")
    model, out = save_run(tmp_path / "run"), tmp_path / "exported.onnx"
    result = CliRunner().invoke(cli, ["export", str(model), "--out", str(out), "--sign", str(private)])
    assert result.exit_code == 0, result.output
    assert "signed by key" in result.output
    assert Detector(out, trust=TrustedKeys.from_file(public)).sealed.signed
    bad = CliRunner().invoke(cli, ["export", str(model), "--out", str(out), "--sign", str(public)])
    assert bad.exit_code == 1 and "not an unencrypted PEM private key" in bad.output
