"""Read the few XMP properties provenance needs, with a parser that cannot be turned against us.

Why not `defusedxml`: the runtime imports numpy, onnxruntime and Pillow only. The standard library's expat
parser is safe here because every XML attack it is open to needs a document type declaration: entity
expansion bombs ("billion laughs", quadratic blow-up) and external entities are declared in a DTD, and
without a `<!DOCTYPE` there is nothing to expand or fetch. So the packet is refused, before any parsing,
when it is larger than `MAX_XMP_BYTES`, is not UTF-8/UTF-16 text, or contains `<!DOCTYPE` or `<!ENTITY` in
any letter case. It is then fed to a pull parser in small pieces that stops at `MAX_DEPTH` levels of nesting
or `MAX_ELEMENTS` elements, so neither a deep tree nor a huge flat one is ever built.

Example:
    >>> read_xmp(b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/'
    ...          b'22-rdf-syntax-ns#"><rdf:Description xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/'
    ...          b'2008-02-29/" Iptc4xmpExt:DigitalSourceType="http://cv.iptc.org/newscodes/digitalsourcetype/'
    ...          b'trainedAlgorithmicMedia"/></rdf:RDF></x:xmpmeta>')
    {'DigitalSourceType': 'http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia'}
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

MAX_XMP_BYTES = 512 * 1024
"""Largest XMP packet read (cameras' and editors' are a few KiB; Photoshop's history can reach ~100 KiB)."""

MAX_DEPTH = 32
MAX_ELEMENTS = 5000
FEED_CHARS = 16 * 1024

PROPERTIES = ("DigitalSourceType", "CreatorTool", "Make", "Model", "provenance")
"""Local names read, whatever their namespace prefix: IPTC Extension's DigitalSourceType, xmp:CreatorTool,
tiff:Make/Model and dcterms:provenance (a C2PA remote manifest's address)."""

MAX_VALUE_CHARS = 500
_DECLARATION = re.compile(r"<!\s*(doctype|entity)", re.IGNORECASE)


class XmpRefused(ValueError):
    """The XMP packet was not parsed; the message is one line saying why."""


def read_xmp(packet: bytes | str) -> dict[str, str]:
    """The `PROPERTIES` found in an XMP packet, as element text, attribute or `rdf:resource`.

    Raises:
        XmpRefused: the packet is too large, not text, declares a DTD or entities, is nested too deeply,
            has too many elements, or is not well-formed XML.
    """
    size = len(packet)
    if size > MAX_XMP_BYTES:
        raise XmpRefused(f"XMP packet is {size:,} bytes, over the limit of {MAX_XMP_BYTES:,}; not read")
    text = _as_text(packet)
    if _DECLARATION.search(text):
        raise XmpRefused("XMP declares a DTD or entities (refused: an XML bomb or an external entity)")
    found: dict[str, str] = {}
    parser = ET.XMLPullParser(events=("start", "end"))
    open_names: list[str] = []
    elements = 0
    try:
        for start in range(0, len(text), FEED_CHARS):
            parser.feed(text[start : start + FEED_CHARS])
            for event, element in parser.read_events():
                if event == "end":
                    _collect_text(element, open_names, found)
                    open_names.pop()
                    element.clear()
                    continue
                open_names.append(_local(element.tag))
                elements += 1
                if len(open_names) > MAX_DEPTH:
                    raise XmpRefused(f"XMP is nested over {MAX_DEPTH} levels deep; not read")
                if elements > MAX_ELEMENTS:
                    raise XmpRefused(f"XMP has over {MAX_ELEMENTS:,} elements; not read")
                _collect_attributes(element, found)
        parser.close()
    except ET.ParseError as err:
        raise XmpRefused(f"XMP is not well-formed XML ({err})") from None
    return found


def _as_text(packet: bytes | str) -> str:
    if isinstance(packet, str):
        return packet
    try:
        if packet.startswith((b"\xff\xfe", b"\xfe\xff")):
            return packet.decode("utf-16")
        return packet.decode("utf-8")
    except UnicodeDecodeError:
        raise XmpRefused("XMP is not UTF-8 or UTF-16 text; not read") from None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _collect_attributes(element: ET.Element, found: dict[str, str]) -> None:
    for key, value in element.attrib.items():
        name = _local(key)
        if name in PROPERTIES:
            found.setdefault(name, value[:MAX_VALUE_CHARS])
    name = _local(element.tag)
    if name in PROPERTIES:
        for key, value in element.attrib.items():
            if _local(key) == "resource":
                found.setdefault(name, value[:MAX_VALUE_CHARS])


def _collect_text(element: ET.Element, open_names: list[str], found: dict[str, str]) -> None:
    """Text of a property element, or of the innermost property it sits in (`rdf:Alt`/`rdf:li` lists)."""
    value = (element.text or "").strip()
    owner = next((name for name in reversed(open_names) if name in PROPERTIES), None)
    if value and owner:
        found.setdefault(owner, value[:MAX_VALUE_CHARS])
