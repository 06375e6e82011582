"""Shared test helpers: paths, the shared-data skip, ports and waiting for the app."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# The shared development data: $RAG_SHARED, else ../shared beside the checkout.
SHARED = Path(os.environ.get("RAG_SHARED") or ROOT.parent / "shared")
FOUNDING = ROOT / "corpus" / "ducpho-thiuy-ket-luan-hoi-nghi-18-2024-10-11.txt"


def shared_path(*parts: str) -> Path:
    """Path under ../shared, skipping the test with a reason when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent (../shared is only on development and CI machines)")
    return path



ARTIFACTS = Path(os.environ.get("RAG_TEST_ARTIFACTS", ROOT / "test-artifacts"))


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


INDEX_READY = ("Rebuilt:", "Updated:", "Index already up to date")


def wait_for_app(proc, port: int, log_path: Path, timeout: float = 300, *, index_ready: bool = True) -> None:
    """Wait until the app listens on ``port`` and (``index_ready``) its background index build
    has finished; fail with its log if it dies, the build fails, or it times out."""
    import socket
    import time

    deadline = time.time() + timeout
    while time.time() < deadline:
        assert proc.poll() is None, log_path.read_text()
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            time.sleep(1)
    else:
        pytest.fail(f"app did not start within {timeout:.0f} s:\n{log_path.read_text()}")
    while index_ready and time.time() < deadline:
        log = log_path.read_text()
        assert "building the index failed" not in log, log
        if any(line.startswith(INDEX_READY) for line in log.splitlines()):
            return
        assert proc.poll() is None, log
        time.sleep(0.5)
    if index_ready:
        pytest.fail(f"the app's index was not ready within {timeout:.0f} s:\n{log_path.read_text()}")

# Two small documents beside the founding one: a 2018 council resolution and a 2020 plan.
HDND_2018 = """HỘI ĐỒNG NHÂN DÂN
TỈNH QUẢNG NGÃI

Số: 12/2018/NQ-HĐND

Quảng Ngãi, ngày 10 tháng 7 năm 2018

NGHỊ QUYẾT
Về hỗ trợ phát triển thủy sản

Điều 1. Hỗ trợ ngư dân đóng mới tàu cá khai thác xa bờ; kiên quyết chống khai thác hải sản bất hợp pháp.

Điều 2. Giao Ủy ban nhân dân tỉnh tổ chức thực hiện Nghị quyết này.
"""

KH_2020 = """ĐẢNG ỦY XÃ PHỔ AN

Số: 05-KH/ĐU

Phổ An, ngày 02 tháng 3 năm 2020

KẾ HOẠCH
Về trồng rừng phòng hộ ven biển

1. Trồng mới 20 ha rừng phòng hộ ven biển trong năm 2020.

2. Tuyên truyền nhân dân bảo vệ rừng phòng hộ.
"""


@contextlib.contextmanager
def serve_lite(data_dir: Path):
    """Run ``milvus-lite server`` on ``data_dir`` (a Lite file's path serves that file); yields its URI."""
    import socket
    import subprocess
    import sys
    import time

    pytest.importorskip("milvus_lite", reason="Milvus Lite is not installed (pip install '.[milvus]')")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "milvus_lite.cmdline", "server", "--data-dir",
                               str(data_dir), "--host", "127.0.0.1", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with socket.socket() as client:
            if client.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.2)
    else:
        server.kill()
        pytest.fail("the Milvus Lite server did not start within 60 s")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=30)
