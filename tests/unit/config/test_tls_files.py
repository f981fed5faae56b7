"""The TLS files are read when the configuration loads: a file that does not load is a
ConfigError naming its key (not a traceback when the port opens); once serving, a change that
does not load yet keeps the certificate in use."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from stack_cfo.api.tls import CertificateFiles, certificate_files
from stack_cfo.config import ConfigError, build_config
from tests.support.certs import CertificateAuthority


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    ca = CertificateAuthority("ca")
    cert, key = ca.issue("s", server=True).write(tmp_path, "server")
    _, other = ca.issue("t", server=True).write(tmp_path, "other")
    ca_file = tmp_path / "clients.pem"
    ca_file.write_bytes(CertificateAuthority("clients").pem)
    empty = tmp_path / "empty.pem"
    empty.write_bytes(b"")
    return {"cert": cert, "key": key, "other": other, "ca": ca_file, "empty": empty}


@pytest.mark.parametrize("cert, key, ca, blamed, problem", [
    ("cert", "cert", None, "server.tls_key_file", "is not a PEM private key (it holds a certificate)"),
    ("cert", "empty", None, "server.tls_key_file", "is not a PEM private key"),
    ("cert", "other", None, "server.tls_key_file", "does not match the certificate"),
    ("key", "key", None, "server.tls_cert_file", "is not a PEM certificate chain (it holds a private key)"),
    ("cert", "key", "key", "server.tls_client_ca_file", "is not a PEM CA bundle (it holds a private key)"),
    ("cert", "key", "empty", "server.tls_client_ca_file", "is not a PEM CA bundle"),
])
def test_a_tls_file_that_does_not_load_names_its_key(
    files: dict[str, Path], cert: str, key: str, ca: str | None, blamed: str, problem: str
) -> None:
    server = {"tls_cert_file": str(files[cert]), "tls_key_file": str(files[key])}
    if ca is not None:
        server["tls_client_ca_file"] = str(files[ca])
    with pytest.raises(ConfigError) as ei:
        build_config({"server": server})
    assert ei.value.key == blamed
    assert problem in ei.value.problem and "\n" not in ei.value.problem
    assert "PRIVATE KEY-----" not in str(ei.value)


def test_good_files_load(files: dict[str, Path]) -> None:
    config = build_config({"server": {"tls_cert_file": str(files["cert"]), "tls_key_file": str(files["key"]),
                                      "tls_client_ca_file": str(files["ca"])}})
    tls = certificate_files(config.server)
    assert tls is not None and tls.client_ca_file == files["ca"]


def test_files_spoiled_after_the_config_loaded_are_still_a_config_error(files: dict[str, Path]) -> None:
    config = build_config({"server": {"tls_cert_file": str(files["cert"]), "tls_key_file": str(files["key"])}})
    files["key"].write_bytes(files["other"].read_bytes())
    with pytest.raises(ConfigError) as ei:
        certificate_files(config.server)
    assert ei.value.key == "server.tls_key_file" and "does not match" in ei.value.problem
    files["key"].unlink()
    with pytest.raises(ConfigError) as ei:
        certificate_files(config.server)
    assert ei.value.key == "server.tls_key_file" and "cannot be read" in ei.value.problem


def test_a_reload_that_does_not_load_keeps_the_certificate(files: dict[str, Path]) -> None:
    tls = CertificateFiles(files["cert"], files["key"])
    files["key"].write_bytes(files["other"].read_bytes())
    st = files["key"].stat()
    os.utime(files["key"], ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    assert tls.fetch() is None and tls.reloads == 0
