"""Images carrying provenance records, built with Pillow in the tests (PNG text, XMP, EXIF, comments)."""

from __future__ import annotations

from image_factory import encode, random_rgb
from PIL import Image, PngImagePlugin

IPTC = "http://cv.iptc.org/newscodes/digitalsourcetype/"

GENERATOR_CHUNKS = {
    "AUTOMATIC1111": (
        {"parameters": "a portrait\nNegative prompt: blur\nSteps: 20, Sampler: Euler a, CFG scale: 7"},
        "Stable Diffusion (AUTOMATIC1111)",
    ),
    "ComfyUI": ({"prompt": '{"3": {"class_type": "KSampler"}}', "workflow": '{"nodes": []}'}, "ComfyUI"),
    "InvokeAI": ({"invokeai_metadata": '{"positive_prompt": "a portrait"}'}, "InvokeAI"),
    "NovelAI": (
        {"Software": "NovelAI", "Source": "Stable Diffusion XL C1E1DE52", "Title": "AI generated image"},
        "NovelAI",
    ),
}
"""Each generator's PNG text chunks (as they write them) and the generator name provenance should give."""


def picture(seed: int = 0) -> Image.Image:
    return Image.fromarray(random_rgb(48, 64, seed))


def png_with_text(chunks: dict[str, str], compressed: bool = False) -> bytes:
    info = PngImagePlugin.PngInfo()
    for key, value in chunks.items():
        info.add_itxt(key, value, zip=True) if compressed else info.add_text(key, value)
    return encode(picture(), "PNG", pnginfo=info)


def xmp_packet(
    source_type: str | None = None, creator: str | None = None, extra: str = "", prolog: str = ""
) -> bytes:
    """An XMP packet as Adobe tools write it, with an IPTC DigitalSourceType and/or xmp:CreatorTool."""
    fields = ""
    if source_type:
        fields += f'<Iptc4xmpExt:DigitalSourceType rdf:resource="{IPTC}{source_type}"/>'
    if creator:
        fields += f"<xmp:CreatorTool>{creator}</xmp:CreatorTool>"
    return (
        f'{prolog}<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/" '
        'xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/">'
        f'{fields}{extra}</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
    ).encode()


def jpeg(xmp: bytes | None = None, exif: Image.Exif | None = None, comment: str | None = None) -> bytes:
    params: dict = {"quality": 90}
    if xmp is not None:
        params["xmp"] = xmp
    if exif is not None:
        params["exif"] = exif.tobytes()
    if comment is not None:
        params["comment"] = comment
    return encode(picture(), "JPEG", **params)


def exif(
    software: str | None = None,
    user_comment: str | None = None,
    make: str | None = None,
    model: str | None = None,
) -> Image.Exif:
    """EXIF with Software (0x0131), Make/Model (0x010F/0x0110) and UserComment (0x9286, Unicode as A1111)."""
    tags = Image.Exif()
    for tag, value in ((0x0131, software), (0x010F, make), (0x0110, model)):
        if value:
            tags[tag] = value
    if user_comment:
        tags.get_ifd(0x8769)[0x9286] = b"UNICODE\x00" + user_comment.encode("utf-16-be")
    return tags


def stripped(data: bytes, fmt: str) -> bytes:
    """The same pixels re-encoded without any metadata (what most platforms do)."""
    with Image.open(__import__("io").BytesIO(data)) as image:
        return encode(image.convert("RGB"), fmt)
