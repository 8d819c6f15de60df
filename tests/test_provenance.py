"""Provenance read by the runtime alone (Pillow + stdlib): generators' PNG text, XMP digital source types,
EXIF, cameras, stripped copies, hostile metadata, and its place beside (never inside) the verdict."""

from __future__ import annotations

import socket
import time
import tracemalloc

import pytest
from image_factory import encode
from PIL import PngImagePlugin
from provenance_factory import (
    GENERATOR_CHUNKS,
    exif,
    jpeg,
    picture,
    png_with_text,
    stripped,
    xmp_packet,
)

from fakescope.runtime import Detector, InvalidImageError, load_image
from fakescope.runtime.xmp import MAX_DEPTH, XmpRefused, read_xmp

BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)
    )
    + "]><x:xmpmeta xmlns:x='adobe:ns:meta/'>&lol9;</x:xmpmeta>"
).encode()
EXTERNAL_ENTITY = b'<?xml version="1.0"?><!doctype x [<!entity xxe SYSTEM "file:///etc/passwd">]><x>&xxe;</x>'


def provenance_of(data: bytes):
    return load_image(data).info.provenance


def test_the_network_guard_catches_a_connection(no_network):
    with pytest.raises(AssertionError, match="network"):
        socket.create_connection(("example.org", 80))
    with pytest.raises(AssertionError, match="network"):
        socket.socket()


@pytest.mark.parametrize("tool", sorted(GENERATOR_CHUNKS))
def test_each_generators_png_text_declares_it_generated(tool, no_network):
    chunks, generator = GENERATOR_CHUNKS[tool]
    data = png_with_text(chunks)
    found = provenance_of(data)
    assert (found.declared, found.source, found.generator) == ("generated", "png-text", generator)
    assert found.panel == "declared AI" and generator in found.summary
    assert {f"png:{key}" for key in chunks} <= dict(found.raw).keys()
    bare = provenance_of(stripped(data, "PNG"))
    assert (bare.declared, bare.raw, bare.panel) == (None, (), "no provenance data")


def test_generator_text_in_a_compressed_itxt_chunk_is_read_too():
    found = provenance_of(png_with_text(GENERATOR_CHUNKS["ComfyUI"][0], compressed=True))
    assert found.generator == "ComfyUI"


@pytest.mark.parametrize(
    ("source_type", "declared"),
    [
        ("trainedAlgorithmicMedia", "generated"),
        ("algorithmicMedia", "generated"),
        ("compositeWithTrainedAlgorithmicMedia", "edited with AI"),
        ("digitalCapture", "camera"),
        ("minorHumanEdits", None),
    ],
)
def test_xmp_digital_source_type_is_what_the_jpeg_declares(source_type, declared):
    data = jpeg(xmp=xmp_packet(source_type, creator="Adobe Firefly"))
    found = provenance_of(data)
    assert found.declared == declared and found.source_type == source_type
    assert found.source == ("xmp" if declared else None)
    if declared in ("generated", "edited with AI"):
        assert found.generator == "Adobe Firefly" and found.panel == "declared AI"
    assert provenance_of(stripped(data, "JPEG")).source_type is None


def test_xmp_property_written_as_element_text_in_an_rdf_list():
    packet = xmp_packet(
        extra="<xmp:CreatorTool><rdf:Alt><rdf:li>DALL-E 3</rdf:li></rdf:Alt></xmp:CreatorTool>"
        "<Iptc4xmpExt:DigitalSourceType>trainedAlgorithmicMedia</Iptc4xmpExt:DigitalSourceType>"
    )
    assert read_xmp(packet) == {"CreatorTool": "DALL-E 3", "DigitalSourceType": "trainedAlgorithmicMedia"}


@pytest.mark.parametrize(
    ("tags", "generator"),
    [
        ({"software": "Adobe Firefly 3.0"}, "Adobe Firefly"),
        ({"software": "Midjourney v6"}, "Midjourney"),
        (
            {"user_comment": "a portrait\nSteps: 30, Sampler: DPM++ 2M, Seed: 7"},
            "Stable Diffusion (AUTOMATIC1111)",
        ),
    ],
)
def test_exif_software_and_user_comment_name_the_generator(tags, generator):
    found = provenance_of(jpeg(exif=exif(**tags)))
    assert (found.declared, found.source, found.generator) == ("generated", "exif", generator)


def test_editing_software_alone_declares_nothing_but_is_listed():
    found = provenance_of(jpeg(exif=exif(software="GIMP 2.10.36")))
    assert found.declared is None and dict(found.raw) == {"exif:Software": "GIMP 2.10.36"}


def test_a_camera_jpeg_declares_a_camera_and_its_stripped_copy_nothing():
    data = jpeg(exif=exif(make="Canon", model="Canon EOS R5"))
    found = provenance_of(data)
    assert (found.declared, found.source, found.panel) == ("camera", "exif", "camera")
    assert found.generator == "Canon EOS R5" and "Canon EOS R5" in found.summary
    assert provenance_of(stripped(data, "JPEG")).declared is None


def test_a_stated_generator_outranks_a_cameras_make_and_model():
    found = provenance_of(jpeg(exif=exif(software="Adobe Firefly", make="Canon", model="EOS R5")))
    assert found.declared == "generated"


def test_jpeg_comment_naming_a_generator():
    found = provenance_of(jpeg(comment="Created with NovelAI"))
    assert (found.declared, found.source, found.generator) == ("generated", "comment", "NovelAI")


def test_without_the_extra_c2pa_is_said_not_checked():
    found = provenance_of(jpeg())
    assert not found.c2pa.checked and found.c2pa.text == "C2PA not checked"
    assert found.as_dict()["c2pa"]["checked"] is False


# Hostile metadata: bounded time and memory, one-line notes, never a crash.


def _bounded(make_data, max_seconds: float = 1.0, max_mib: float = 64.0):
    data = make_data()
    tracemalloc.start()
    started = time.perf_counter()
    try:
        found = provenance_of(data)
    finally:
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    elapsed = time.perf_counter() - started
    assert elapsed < max_seconds and peak < max_mib, (elapsed, peak)
    for note in found.notes:
        assert "\n" not in note and len(note) < 200
    return found


def test_an_xmp_entity_bomb_is_refused_before_parsing():
    found = _bounded(lambda: jpeg(xmp=BILLION_LAUGHS))
    assert found.declared is None and any("DTD or entities" in n for n in found.notes)
    with pytest.raises(XmpRefused, match="DTD"):
        read_xmp(EXTERNAL_ENTITY)
    with pytest.raises(XmpRefused, match="DTD"):
        read_xmp(BILLION_LAUGHS.decode().encode("utf-16"))


def test_deeply_nested_xmp_stops_at_the_depth_limit():
    nested = "<a>" * 50_000 + "</a>" * 50_000
    found = _bounded(lambda: png_with_text({"XML:com.adobe.xmp": nested}))
    assert any(f"over {MAX_DEPTH} levels" in n for n in found.notes)


def test_an_oversized_xmp_packet_is_not_parsed():
    huge = xmp_packet("trainedAlgorithmicMedia", extra="<xmp:Label>" + "x" * 600_000 + "</xmp:Label>")
    found = _bounded(lambda: png_with_text({"XML:com.adobe.xmp": huge.decode()}))
    assert found.declared is None and any("over the limit" in n for n in found.notes)


def test_malformed_xmp_is_one_note():
    found = _bounded(lambda: jpeg(xmp=b"<x:xmpmeta><unclosed"))
    assert len(found.notes) == 1 and "not well-formed" in found.notes[0]


def test_a_5_mb_text_chunk_is_listed_not_read():
    found = _bounded(lambda: png_with_text({"parameters": "Steps: 1, " * 500_000}), max_mib=80.0)
    assert found.declared is None and "not read" in dict(found.raw)["png:parameters"]
    assert any("over the limit" in n for n in found.notes)


def test_a_malformed_c2pa_segment_is_reported_present_and_unchecked():
    app11 = (
        b"\xff\xeb" + (2 + 40).to_bytes(2, "big") + b"JP\x00\x00" + b"\x00" * 8 + b"jumbc2pa" + b"\x00" * 24
    )
    data = jpeg()
    found = _bounded(lambda: data[:2] + app11 + data[2:])
    assert found.c2pa.present and not found.c2pa.checked
    assert "C2PA manifest not checked" in found.summary


# Beside the verdict, never inside it.


def _with_xmp_png(source_type: str) -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", xmp_packet(source_type).decode())
    return encode(picture(), "PNG", pnginfo=info)


def detectors_either_side(model_path, prob_fake: float) -> tuple[Detector, Detector]:
    """Two detectors whose thresholds make a picture of this P(fake) REAL, then FAKE."""
    return Detector(model_path, threshold=(1 + prob_fake) / 2), Detector(model_path, threshold=prob_fake / 2)


def test_provenance_never_changes_p_fake_and_an_ai_declaration_on_real_is_a_reason(
    tiny_model_path, no_network
):
    plain = Detector(tiny_model_path).predict(encode(picture(), "PNG"))
    real, fake = detectors_either_side(tiny_model_path, plain.prob_fake)
    declared = real.predict(_with_xmp_png("trainedAlgorithmicMedia"))
    assert declared.prob_fake == plain.prob_fake and declared.label == "REAL"
    assert declared.verdict == "UNSURE" and "metadata declares it AI-generated (XMP)" in declared.reasons
    assert plain.provenance.declared is None and "metadata" not in " ".join(plain.reasons)
    agrees = fake.predict(_with_xmp_png("trainedAlgorithmicMedia"))
    assert agrees.label == "FAKE" and not any("metadata" in r for r in agrees.reasons)
    row = declared.as_row()
    assert row["provenance"]["declared"] == declared.provenance.declared
    assert row["provenance"]["summary"] == declared.provenance.summary


def test_a_compressed_text_bomb_is_refused_by_pillow_in_one_line():
    """14 KB of zTXt/iTXt that inflates to 5 MB: Pillow stops at its 1 MB text limit while opening the
    file, so the image is rejected (one line, milliseconds) rather than half-read."""
    data = png_with_text({"parameters": "Steps: 1, " * 500_000}, compressed=True)
    started = time.perf_counter()
    with pytest.raises(InvalidImageError, match="too large") as caught:
        load_image(data)
    assert time.perf_counter() - started < 1.0 and "\n" not in str(caught.value)


def test_a_cameras_exif_or_xmp_claim_does_not_overrule_fake(tiny_model_path):
    """A face swapped into a photo keeps the photo's Make/Model: only a trusted C2PA camera counts."""
    plain = Detector(tiny_model_path).predict(encode(picture(), "PNG"))
    _, fake = detectors_either_side(tiny_model_path, plain.prob_fake)
    for data in (_with_xmp_png("digitalCapture"), jpeg(exif=exif(make="Canon", model="EOS R5"))):
        result = fake.predict(data)
        assert result.provenance.declared == "camera" and result.label == "FAKE"
        assert not any("camera" in r for r in result.reasons)
