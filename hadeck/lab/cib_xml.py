"""Reading and writing the lab's CIB and graph files with ElementTree.

A big lab's fast paths edit the CIB in Python where a small lab lets the real tools do
it; they read and write it here. A write goes to a temporary file first and
replaces the CIB in one rename, so a reader never sees half a CIB.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from hadeck.lab.errors import LabError
from hadeck.runner import MAX_OUTPUT_BYTES


def xml_id(text: str) -> str:
    """An XML id as crm_attribute makes one: invalid characters become dots."""
    return re.sub(r"[^A-Za-z0-9_.-]", ".", text)


def read_xml(path: Path) -> ET.Element:
    """The root element of the XML file at ``path``.

    Raises:
        LabError: the file cannot be read or is not well-formed XML.
    """
    try:
        if path.stat().st_size > MAX_OUTPUT_BYTES:
            raise LabError(f"{path}: larger than {MAX_OUTPUT_BYTES // 2**20} MiB, not read")
        return ET.parse(path).getroot()
    except (OSError, ET.ParseError) as exc:
        raise LabError(f"{path}: cannot read the CIB: {exc}") from exc


def write_xml(path: Path, root: ET.Element) -> None:
    """Replace the file at ``path`` with ``root``, atomically (write, then rename)."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text(ET.tostring(root, encoding="unicode") + "\n")
    tmp.replace(path)
