from __future__ import annotations

import hashlib

import pytest

from intake.store.objects import Store


def test_put_is_content_addressed_and_idempotent(tmp_path):
    store = Store(tmp_path / "objects")
    sha, path = store.put(b"hello")
    assert sha == hashlib.sha256(b"hello").hexdigest()
    assert path == tmp_path / "objects" / sha[:2] / sha[2:]
    assert store.put(b"hello") == (sha, path)
    assert store.get(sha) == b"hello" and sha in store
    assert [p.name for p in path.parent.iterdir()] == [sha[2:]]  # no temp files left behind


def test_a_digest_the_caller_already_has_names_the_same_object(tmp_path):
    """ingest hashes the raw message for its duplicate check and hands that digest on (not hashed twice)."""
    data = b"raw message bytes"
    digest = hashlib.sha256(data).hexdigest()
    store = Store(tmp_path / "objects")
    assert store.put(data, digest) == store.put(data) == (digest, store.path(digest))
    assert store.get(digest) == data


def test_get_detects_corruption_and_rejects_bad_names(tmp_path):
    store = Store(tmp_path)
    sha, path = store.put(b"original bytes")
    path.write_bytes(b"tampered bytes")
    with pytest.raises(ValueError, match="corrupted"):
        store.get(sha)
    with pytest.raises(ValueError):
        store.path("../../etc/passwd")
    with pytest.raises(FileNotFoundError):
        store.get("0" * 64)


def test_a_torn_write_leaves_no_object(tmp_path, monkeypatch):
    store = Store(tmp_path)

    def boom(*_a):  # noqa: ANN002, ANN202
        raise OSError("disk full")

    monkeypatch.setattr("os.fsync", boom)
    with pytest.raises(OSError):
        store.put(b"data")
    assert not any(p.is_file() for p in tmp_path.rglob("*"))
