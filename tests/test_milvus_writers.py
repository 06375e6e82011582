"""One writer at a time on a Milvus index (rag.index.milvus.guard), whichever process it runs in."""

from __future__ import annotations

import threading
import time

import pytest

from rag import IndexLockedError


@pytest.fixture
def client(tmp_path):
    pytest.importorskip("pymilvus", reason="the Milvus backend needs pymilvus (pip install '.[milvus]')")
    pytest.importorskip("milvus_lite", reason="Milvus Lite is not installed (pip install '.[milvus]')")
    from rag.index.milvus.client import close, connect

    uri = str(tmp_path / "lite.db")
    handle = connect(uri)
    yield handle
    close(handle, uri)


def _leases(client) -> list[dict]:
    from rag.index.milvus.guard import COLLECTION

    client.load_collection(COLLECTION)  # a Lite file opened again starts with collections released
    return client.query(COLLECTION, filter='token != ""', output_fields=["scope", "holder"],
                        consistency_level="Strong")


def test_a_second_writer_is_refused_until_the_first_releases(client, tmp_path):
    from rag.index.milvus.guard import acquire, writer_guard

    with writer_guard(client, tmp_path / "index"):
        with pytest.raises(IndexLockedError, match="another writer .*pid .* updating the index 'index'"):
            acquire(client, tmp_path / "index", timeout=0)
        other = acquire(client, tmp_path / "other-index", timeout=0)  # another index is not blocked
        other.release()
        assert [lease["scope"] for lease in _leases(client)] == ["index"]  # the refused one left no row
    second = acquire(client, tmp_path / "elsewhere" / "index", timeout=0)  # same name: same scope
    second.release()
    assert _leases(client) == []


def test_a_lease_its_holder_stopped_renewing_expires(client, tmp_path):
    from rag.index.milvus.guard import acquire

    crashed = acquire(client, tmp_path / "index", timeout=0, lease_seconds=1.5)
    crashed._stop.set()  # a holder that died: no renewal and no release
    crashed._thread.join()
    with pytest.raises(IndexLockedError):
        acquire(client, tmp_path / "index", timeout=0)
    started = time.monotonic()
    lease = acquire(client, tmp_path / "index", timeout=30)
    assert time.monotonic() - started < 10
    assert [row["holder"] for row in _leases(client)] == [lease.holder]  # the stale row was removed
    lease.release()


def test_a_renewed_lease_outlives_its_first_term(client, tmp_path):
    from rag.index.milvus import guard

    holder = guard.acquire(client, tmp_path / "index", timeout=0, lease_seconds=1.5)  # renewed every 0.5 s
    time.sleep(3)
    with pytest.raises(IndexLockedError):
        guard.acquire(client, tmp_path / "index", timeout=0)
    holder.release()


def test_writers_racing_from_threads_never_overlap(tmp_path, client):
    from rag.index.milvus.client import close, connect
    from rag.index.milvus.guard import acquire

    uri = str(tmp_path / "lite.db")  # the fixture's file: one in-process server, many clients
    inside, most, done, errors = [0], [0], [0], []
    lock = threading.Lock()

    def writer() -> None:
        handle = connect(uri)
        try:
            for _ in range(3):
                lease = acquire(handle, tmp_path / "index", timeout=60)
                with lock:
                    inside[0] += 1
                    most[0] = max(most[0], inside[0])
                time.sleep(0.05)
                with lock:
                    inside[0] -= 1
                    done[0] += 1
                lease.release()
        except Exception as exc:  # surfaced below: a thread's failure must fail the test
            errors.append(exc)
        finally:
            close(handle, uri)

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and done[0] == 12 and most[0] == 1


def test_a_build_is_refused_while_another_writer_holds_the_lease_and_leaves_none(tmp_path):
    pytest.importorskip("milvus_lite", reason="Milvus Lite is not installed (pip install '.[milvus]')")
    from fake_encoder import KeywordEncoder
    from helpers import FOUNDING

    from rag import build_index, read_document
    from rag.index.milvus.client import close, connect, default_uri
    from rag.index.milvus.guard import writer_guard

    index_dir = tmp_path / "index"
    docs = [read_document(FOUNDING, FOUNDING.parent)]
    build_index(documents=docs, index=index_dir, embedder=KeywordEncoder(), backend="milvus")
    uri = default_uri(index_dir)
    handle = connect(uri)
    try:
        assert _leases(handle) == []  # the build gave its lease back
        with writer_guard(handle, index_dir):  # e.g. an app server on another host is writing
            with pytest.raises(IndexLockedError, match="another writer"):
                build_index(documents=docs, index=index_dir, embedder=KeywordEncoder(), rebuild=True)
        assert _leases(handle) == []
        report = build_index(documents=docs, index=index_dir, embedder=KeywordEncoder(), rebuild=True)
        assert report.full_rebuild
    finally:
        close(handle, uri)


def test_closing_a_writer_twice_keeps_a_reader_of_the_same_lite_file_working(tmp_path):
    pytest.importorskip("milvus_lite", reason="Milvus Lite is not installed (pip install '.[milvus]')")
    from fake_encoder import KeywordEncoder
    from helpers import FOUNDING

    from rag import build_index, load_index, read_document
    from rag.index.milvus.client import default_uri
    from rag.index.milvus.writer import MilvusWriter

    index_dir = tmp_path / "index"
    build_index(documents=[read_document(FOUNDING, FOUNDING.parent)], index=index_dir,
                embedder=KeywordEncoder(), backend="milvus")
    reader = load_index(index_dir, embedder=KeywordEncoder())
    writer = MilvusWriter(index_dir, uri=default_uri(index_dir))
    writer.close()
    writer.close()
    assert reader.search("nhiệm vụ chống khai thác IUU", k=1)[0].path == "II.2.6"
