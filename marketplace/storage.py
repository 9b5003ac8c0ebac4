"""The evidence store: files that support realisation reports, kept outside the web root.

`LocalStorage` (the default) writes under instance/evidence; `S3Storage` talks to an S3-compatible store
(EVIDENCE_STORAGE=s3, with EVIDENCE_S3_BUCKET, EVIDENCE_S3_ENDPOINT and the usual AWS_* credentials) and needs
boto3. Keys are random; a file is only ever read back through a view that checked who may see it.
"""

import hashlib
import os
import secrets
from pathlib import Path
from typing import Any, Protocol

from flask import Flask, current_app


class Storage(Protocol):
    def put(self, data: bytes) -> str: ...
    def get(self, key: str) -> bytes: ...
    def delete(self, key: str) -> None: ...


def new_key() -> str:
    """A random, unguessable key: 2 levels of folders, then the rest."""
    token = secrets.token_hex(20)
    return f"{token[:2]}/{token[2:4]}/{token}"


class LocalStorage:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError("bad storage key")
        return path

    def put(self, data: bytes) -> str:
        key = new_key()
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".part")
        tmp.write_bytes(data)
        os.chmod(tmp, 0o600)
        tmp.replace(path)
        return key

    def get(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


class S3Storage:
    """An S3-compatible bucket (MinIO, Ceph, AWS); objects are private, read back by the app only."""

    def __init__(self, bucket: str, client: Any) -> None:
        self.bucket = bucket
        self.client = client

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "S3Storage":
        import boto3  # an optional dependency: only a deployment that stores evidence in S3 needs it

        client = boto3.client("s3", endpoint_url=config.get("EVIDENCE_S3_ENDPOINT") or None)
        return cls(config["EVIDENCE_S3_BUCKET"], client)

    def put(self, data: bytes) -> str:
        key = new_key()
        self.client.put_object(Bucket=self.bucket, Key=key, Body=data, ServerSideEncryption="AES256")
        return key

    def get(self, key: str) -> bytes:
        body: bytes = self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        return body

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=key)


def storage(app: Flask | None = None) -> Storage:
    """The configured evidence store, created once per app."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    store: Storage | None = app.extensions.get("srx.storage")
    if store is None:
        if app.config.get("EVIDENCE_STORAGE") == "s3":
            store = S3Storage.from_config(app.config)
        else:
            store = LocalStorage(Path(app.config["EVIDENCE_PATH"]))
        app.extensions["srx.storage"] = store
    return store


# What an evidence file may be, recognised by its first bytes (never by its name).
SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)


def sniff(data: bytes) -> str | None:
    """The content type of a PDF, PNG or JPEG file, from its content; None for anything else."""
    for magic, content_type in SIGNATURES:
        if data.startswith(magic):
            return content_type
    return None


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
