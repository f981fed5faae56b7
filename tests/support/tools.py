"""Command-line tools a test needs that are not Python packages (Prometheus, Go): found on PATH,
else installed from the machine's Debian repositories, as CI does on a fresh machine."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading

import pytest

_lock = threading.Lock()
_updated = False


def debian_tool(binary: str, package: str) -> str:
    """The path of ``binary``; installs ``package`` with apt-get when it is missing."""
    found = shutil.which(binary)
    if found:
        return found
    global _updated
    with _lock:
        found = shutil.which(binary)
        if found:
            return found
        if shutil.which("apt-get") is None or os.geteuid() != 0:
            pytest.fail(f"{binary} is missing: install the Debian package {package!r} (apt-get install {package})")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        install = ["apt-get", "install", "-y", "-q", "--no-install-recommends", package]
        if subprocess.run(install, env=env, capture_output=True, check=False).returncode != 0 and not _updated:
            subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True, check=False)
            _updated = True
            subprocess.run(install, env=env, capture_output=True, check=False)
    found = shutil.which(binary)
    if not found:
        pytest.fail(f"apt-get could not install {package!r} for {binary}")
    return found


GO_PACKAGES = (
    "golang-go",
    "golang-google-grpc-dev",
    "golang-google-protobuf-dev",
    "golang-github-golang-protobuf-1-5-dev",
    "golang-google-genproto-dev",
)
"""Debian's Go toolchain and the libraries the generated client and the example import."""


def go_toolchain() -> str:
    """``go``, with the gRPC and protobuf libraries under /usr/share/gocode (GOPATH mode, offline)."""
    go = debian_tool("go", "golang-go")
    libraries = ("google.golang.org/grpc", "google.golang.org/protobuf", "google.golang.org/genproto")
    if not all(os.path.isdir(f"/usr/share/gocode/src/{lib}") for lib in libraries):
        for package in GO_PACKAGES[1:]:
            _apt_install(package)
    return go


def _apt_install(package: str) -> None:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    cmd = ["apt-get", "install", "-y", "-q", "--no-install-recommends", package]
    if subprocess.run(cmd, env=env, capture_output=True, check=False).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True, check=False)
        if subprocess.run(cmd, env=env, capture_output=True, check=False).returncode != 0:
            pytest.fail(f"apt-get could not install {package!r}")
