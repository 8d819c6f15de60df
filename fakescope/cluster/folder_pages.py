"""One folder of an fsspec file system, listed in pages: what the client holds while it lists a source.

On S3 (s3fs) a page is one ListObjectsV2 response (at most `page_keys` keys, 1,000 by default, S3's own
maximum), asked for through s3fs's `call_s3`, so its credentials, endpoint, retries and requester-pays
setting apply; the pages come in the store's key order, and the next is asked for only when the caller
wants it, so a flat prefix of 10 million keys never sits in one list. Other back-ends (memory, gcsfs,
adlfs, ...) have no public paged listing in fsspec: their folder is one `ls`, one page.

Example:
    >>> fs = fsspec.filesystem("memory")
    >>> fs.pipe("/photos/a.png", b"x")
    >>> list(folder_pages(fs, "/photos"))
    [FolderPage(files=['/photos/a.png'], folders=[])]
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import fsspec

S3_PAGE_KEYS = 1000
"""Keys per S3 listing request: the most S3 returns in one response."""


@dataclass(frozen=True)
class FolderPage:
    """Part of a folder's listing: file paths (in key order) and subfolder paths, named as the back-end
    names them."""

    files: list[str]
    folders: list[str]


def folder_pages(
    fs: fsspec.AbstractFileSystem, folder: str, page_keys: int = S3_PAGE_KEYS
) -> Iterator[FolderPage]:
    """The listing of `folder` (its files and subfolders, not deeper), one page at a time.

    Raises:
        OSError: the folder cannot be listed (the back-end's error, e.g. PermissionError); pages already
            yielded stay valid.
    """
    if "s3" in _protocols(fs) and hasattr(fs, "call_s3"):
        yield from _s3_pages(fs, folder, page_keys)
        return
    files, folders = [], []
    for info in fs.ls(folder, detail=True, refresh=True):
        path = info["name"].rstrip("/")
        if info["type"] == "directory":
            if path != folder.rstrip("/") and not info.get("islink"):
                folders.append(path)
        else:
            files.append(path)
    yield FolderPage(sorted(files), sorted(folders))


def _s3_pages(fs, folder: str, page_keys: int) -> Iterator[FolderPage]:
    bucket, stem, _version = fs.split_path(folder)
    prefix = f"{stem.strip('/')}/" if stem.strip("/") else ""
    request = {"Bucket": bucket, "Prefix": prefix, "Delimiter": "/", "MaxKeys": page_keys, **fs.req_kw}
    while True:
        page = fs.call_s3("list_objects_v2", **request)
        keys = (item["Key"] for item in page.get("Contents", ()))
        files = [f"{bucket}/{key}" for key in keys if not key.endswith("/")]
        folders = [f"{bucket}/{item['Prefix'].rstrip('/')}" for item in page.get("CommonPrefixes", ())]
        yield FolderPage(files, folders)
        if not page.get("IsTruncated"):
            return
        request["ContinuationToken"] = page["NextContinuationToken"]


def _protocols(fs: fsspec.AbstractFileSystem) -> tuple[str, ...]:
    return (fs.protocol,) if isinstance(fs.protocol, str) else tuple(fs.protocol)
