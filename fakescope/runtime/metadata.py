"""Read an image's provenance records with Pillow's own readers: PNG text, EXIF, XMP, comments, C2PA presence.

Called by `load_image` on the opened file, so nothing is read twice. Every record is size-checked before it
is looked at (`MAX_TEXT_CHARS`; XMP by `fakescope.runtime.xmp`), nothing here raises: a record that cannot
be read becomes a one-line note. C2PA manifests are only validated through a `C2paCheck` passed in (the
`provenance` extra); without one the result says C2PA was not checked. A JPEG or PNG with no C2PA segment
(APP11 JUMBF / `caBX`) and no XMP pointer to a remote manifest is not handed to the checker: it has none.

Example:
    >>> with Image.open("sd.png") as image:
    ...     image.load()
    ...     read_provenance(image).generator
    'Stable Diffusion (AUTOMATIC1111)'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from PIL import Image

from fakescope.runtime.provenance import (
    MAX_NOTES,
    MAX_RAW_ITEMS,
    C2paCheck,
    C2paSummary,
    Provenance,
    clip,
    declared_by,
    short_source_type,
)
from fakescope.runtime.xmp import XmpRefused, read_xmp

MAX_TEXT_CHARS = 64 * 1024
"""Longest metadata text examined; longer ones are listed in `raw` but not read (so a 5 MB chunk costs
nothing)."""

PNG_GENERATORS = {
    "parameters": "Stable Diffusion (AUTOMATIC1111)",
    "prompt": "ComfyUI",
    "workflow": "ComfyUI",
    "invokeai_metadata": "InvokeAI",
    "invokeai_graph": "InvokeAI",
    "sd-metadata": "InvokeAI",
    "Dream": "InvokeAI",
}
"""PNG text keys that only image generators write, and who writes them."""

KNOWN_GENERATORS = (
    ("novelai", "NovelAI"),
    ("firefly", "Adobe Firefly"),
    ("dall-e", "DALL-E"),
    ("dall·e", "DALL-E"),
    ("midjourney", "Midjourney"),
    ("comfyui", "ComfyUI"),
    ("invokeai", "InvokeAI"),
    ("automatic1111", "Stable Diffusion (AUTOMATIC1111)"),
    ("stable diffusion", "Stable Diffusion"),
    ("imagen", "Google Imagen"),
    ("leonardo.ai", "Leonardo.Ai"),
    ("openai sora", "OpenAI Sora"),
    ("google veo", "Google Veo"),
    ("runwayml", "Runway"),
    ("runway gen-", "Runway"),
)
"""Substrings (lower case) of EXIF Software, comments and PNG Software/Source that name a generator."""

NAMING_KEYS = ("Software", "Source", "Comment", "Description", "Title")
"""PNG text keys whose value may name a generator (NovelAI writes Software "NovelAI", Source "Stable ...")."""

EXIF_SOFTWARE, EXIF_MAKE, EXIF_MODEL, EXIF_USER_COMMENT, EXIF_IFD = 0x0131, 0x010F, 0x0110, 0x9286, 0x8769
C2PA_MIME = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "TIFF": "image/tiff"}


def read_provenance(
    image: Image.Image, data: bytes | None = None, c2pa: C2paCheck | None = None
) -> Provenance:
    """The provenance records of an opened (and loaded) Pillow image; never raises.

    Args:
        image: the image as opened by Pillow, after `load()` (so PNG chunks after the pixels are read too).
        data: the encoded file, for C2PA validation. Defaults to None (no C2PA check).
        c2pa: the C2PA validator (`fakescope.provenance.C2paChecker`). Defaults to None: C2PA not checked.
    """
    reader = _Reader()
    try:
        reader.read(image)
    except Exception as err:  # a damaged record must never cost the verdict
        reader.note(f"metadata partly unreadable ({clip(str(err) or type(err).__name__, 100)})")
    summary = C2paSummary(present=_has_c2pa(image))
    scanned = image.format in ("JPEG", "PNG") and "xmp:provenance" not in reader.raw
    if c2pa is not None and data is not None and scanned and not summary.present:
        summary = C2paSummary(present=False, checked=True)
    elif c2pa is not None and data is not None:
        try:
            summary = c2pa(data, C2PA_MIME.get(image.format or "", "application/octet-stream"))
        except Exception as err:
            summary = replace(summary, checked=True, signature="invalid", failures=("unreadable",))
            reader.note(f"C2PA manifest unreadable ({clip(str(err) or type(err).__name__, 100)})")
    return reader.result(summary)


def read_tag_provenance(tags: Mapping[str, str]) -> Provenance:
    """The provenance declared by a video container's metadata tags (`encoder`, `comment`, QuickTime and
    Android make/model, ...); never raises. C2PA is not checked for videos."""
    reader = _Reader()
    try:
        reader.tags(tags)
    except Exception as err:
        reader.note(f"metadata partly unreadable ({clip(str(err) or type(err).__name__, 100)})")
    return reader.result(C2paSummary())


class _Reader:
    """Collects declarations in order of strength, raw keys and notes."""

    def __init__(self) -> None:
        self.declarations: list[tuple[str, str, str | None]] = []
        self.raw: dict[str, str] = {}
        self.notes: list[str] = []
        self.source_type: str | None = None

    def note(self, text: str) -> None:
        if len(self.notes) < MAX_NOTES:
            self.notes.append(text)

    def keep(self, key: str, value: object) -> None:
        if len(self.raw) < MAX_RAW_ITEMS and key not in self.raw:
            self.raw[key] = clip(value if isinstance(value, str) else repr(value))

    def declare(self, source: str, declared: str, generator: str | None) -> None:
        self.declarations.append((source, declared, generator))

    def read(self, image: Image.Image) -> None:
        info = image.info
        xmp = (
            info.get("xmp")
            or info.get("XML:com.adobe.xmp")
            or getattr(image, "text", {}).get("XML:com.adobe.xmp")
        )
        if xmp:
            self._xmp(xmp)
        self._text_chunks(_text_chunks(image))
        self._exif(image)
        comment = info.get("comment")
        if comment:
            self._comment(comment)

    def _xmp(self, packet: bytes | str) -> None:
        try:
            found = read_xmp(packet)
        except XmpRefused as err:
            self.note(str(err))
            return
        for key, value in found.items():
            self.keep(f"xmp:{key}", value)
        code = short_source_type(found.get("DigitalSourceType"))
        self.source_type = code
        tool = found.get("CreatorTool")
        declared = declared_by(code)
        if declared == "camera":
            camera = " ".join(v for v in (found.get("Make"), found.get("Model")) if v) or None
            self.declare("xmp", declared, camera)
        elif declared:
            self.declare("xmp", declared, _generator_in(tool or "") or tool)

    def _text_chunks(self, chunks: dict[str, object]) -> None:
        for key, value in chunks.items():
            text = value if isinstance(value, str) else str(value)
            if len(text) > MAX_TEXT_CHARS:
                self.keep(f"png:{key}", f"<{len(text):,} characters, not read>")
                self.note(f"PNG text {clip(key, 40)!r} is {len(text):,} characters, over the limit; not read")
                continue
            self.keep(f"png:{key}", text)
            if key in PNG_GENERATORS:
                self.declare("png-text", "generated", PNG_GENERATORS[key])
            elif key in NAMING_KEYS and (generator := _generator_in(text)):
                self.declare("png-text", "generated", generator)

    def _exif(self, image: Image.Image) -> None:
        exif = image.getexif()
        software = _exif_text(exif.get(EXIF_SOFTWARE))
        make, model = _exif_text(exif.get(EXIF_MAKE)), _exif_text(exif.get(EXIF_MODEL))
        comment = _user_comment(exif.get_ifd(EXIF_IFD).get(EXIF_USER_COMMENT))
        fields = {"Software": software, "Make": make, "Model": model, "UserComment": comment}
        for key, value in fields.items():
            if value:
                self.keep(f"exif:{key}", value)
        if generator := _generator_in(software or ""):
            self.declare("exif", "generated", generator)
        if comment and (generator := _generator_in(comment) or _a1111(comment)):
            self.declare("exif", "generated", generator)
        if make or model:
            self.declare("exif", "camera", _camera(make, model))

    def tags(self, tags: Mapping[str, str]) -> None:
        make = model = None
        for key, value in list(tags.items())[: MAX_RAW_ITEMS * 4]:
            text = str(value)
            if len(text) > MAX_TEXT_CHARS:
                self.note(f"tag {clip(str(key), 40)!r} is {len(text):,} characters, over the limit; not read")
                continue
            self.keep(f"tag:{key}", text)
            name = str(key).lower().rsplit(".", 1)[-1]
            if name in ("make", "manufacturer"):
                make = clip(text, 80)
            elif name == "model":
                model = clip(text, 80)
            elif generator := _generator_in(text):
                self.declare("container", "generated", generator)
        if make or model:
            self.declare("container", "camera", _camera(make, model))

    def _comment(self, comment: bytes | str) -> None:
        text = comment.decode("utf-8", "replace") if isinstance(comment, bytes) else comment
        if len(text) > MAX_TEXT_CHARS:
            self.note(f"comment is {len(text):,} characters, over the limit; not read")
            return
        self.keep("comment", text)
        if generator := _generator_in(text) or _a1111(text):
            self.declare("comment", "generated", generator)

    def result(self, c2pa: C2paSummary) -> Provenance:
        """The strongest declaration: an intact C2PA manifest's, else the first AI declaration, else a
        camera's (Make/Model is the easiest record to leave behind, so a stated generator outranks it)."""
        ranked = [d for d in self.declarations if d[1] != "camera"] + [
            d for d in self.declarations if d[1] == "camera"
        ]
        source_type = self.source_type
        if c2pa.declared:
            ranked.insert(0, ("c2pa", c2pa.declared, c2pa.generator))
            source_type = next((a.source_type for a in c2pa.actions if a.source_type), source_type)
        source, declared, generator = ranked[0] if ranked else (None, None, None)
        return Provenance(
            declared=declared,
            source=source,
            generator=generator,
            source_type=source_type,
            c2pa=c2pa,
            raw=tuple(self.raw.items()),
            notes=tuple(self.notes),
        )


def _camera(make: str | None, model: str | None) -> str:
    """ "Canon EOS R5" from Make "Canon" and Model "Canon EOS R5" or "EOS R5"."""
    if make and model and model.lower().startswith(make.lower()):
        return model
    return " ".join(v for v in (make, model) if v)


def _text_chunks(image: Image.Image) -> dict[str, object]:
    if image.format != "PNG":
        return {}
    text = getattr(image, "text", None) or {}
    return {k: v for k, v in text.items() if k != "XML:com.adobe.xmp"}


def _generator_in(text: str) -> str | None:
    lowered = text[:MAX_TEXT_CHARS].lower()
    return next((name for key, name in KNOWN_GENERATORS if key in lowered), None)


def _a1111(text: str) -> str | None:
    """AUTOMATIC1111 writes its `parameters` into JPEG/WebP UserComment: "... Steps: 20, Sampler: ..."."""
    return "Stable Diffusion (AUTOMATIC1111)" if "Steps: " in text and "Sampler: " in text else None


def _exif_text(value: object) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return None
    value = value.strip("\x00 ").strip()
    return clip(value, MAX_TEXT_CHARS) if value and len(value) <= MAX_TEXT_CHARS else None


def _user_comment(value: object) -> str | None:
    """EXIF UserComment: an 8-byte character code ("ASCII\\0\\0\\0", "UNICODE\\0", ...) then the text."""
    if isinstance(value, str):
        return _exif_text(value)
    if not isinstance(value, bytes) or len(value) > MAX_TEXT_CHARS * 2:
        return None
    code, body = value[:8], value[8:]
    if code.startswith(b"UNICODE"):
        encoding = "utf-16-be" if body[:1] == b"\x00" else "utf-16-le"
        text = body.decode(encoding, "replace")
    else:
        text = body.decode("utf-8", "replace")
    return _exif_text(text)


def _has_c2pa(image: Image.Image) -> bool:
    """A C2PA manifest store is embedded: JPEG APP11 JUMBF segments labelled c2pa, or a PNG `caBX` chunk."""
    if image.format == "JPEG":
        return any(
            marker == "APP11" and body[:2] == b"JP" and b"c2pa" in body[:64]
            for marker, body in getattr(image, "applist", [])
        )
    if image.format == "PNG":
        return any(chunk[0] == b"caBX" for chunk in getattr(image, "private_chunks", []))
    return False
