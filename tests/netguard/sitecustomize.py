"""Loaded into the app's process by the security tests: refuse and record any non-loopback connection.

Every attempt to resolve or connect to a host other than this machine is appended to the
file named by ``NET_GUARD_LOG`` and fails, so a test can assert that the app contacts
nobody at start or while answering.
"""

import ipaddress
import os
import socket

_LOG = os.environ.get("NET_GUARD_LOG")
_LOCAL_NAMES = {"localhost", "127.0.0.1", "::1", "0.0.0.0", "", None}


def _local(host) -> bool:
    if isinstance(host, bytes):
        host = host.decode()
    if host in _LOCAL_NAMES:
        return True
    try:
        address = ipaddress.ip_address(str(host).split("%")[0])
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def _record(kind: str, host) -> None:
    with open(_LOG, "a", encoding="utf-8") as fh:
        fh.write(f"{kind} {host}\n")


if _LOG:
    _getaddrinfo, _connect, _connect_ex = socket.getaddrinfo, socket.socket.connect, socket.socket.connect_ex

    def getaddrinfo(host, *args, **kwargs):
        if not _local(host):
            _record("resolve", host)
            raise socket.gaierror(socket.EAI_NONAME, "blocked by the test network guard")
        return _getaddrinfo(host, *args, **kwargs)

    def connect(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _local(address[0]):
            _record("connect", address[0])
            raise OSError("blocked by the test network guard")
        return _connect(self, address)

    def connect_ex(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _local(address[0]):
            _record("connect", address[0])
            return 111
        return _connect_ex(self, address)

    socket.getaddrinfo, socket.socket.connect, socket.socket.connect_ex = getaddrinfo, connect, connect_ex
