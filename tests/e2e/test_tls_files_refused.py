"""A TLS file that does not load (a certificate given as the key, a key of another certificate,
a client CA file that holds no certificate, an encrypted key) is a refused configuration: one
line naming the variable and the key, exit 2, no traceback; under ``--workers`` the supervisor
refuses it itself instead of restarting workers that exit 1 forever (they used to)."""

from __future__ import annotations

import asyncio
import subprocess
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from tests.support.certs import CertificateAuthority
from tests.support.proc import cli_env, finish, free_port, start_cli


def _files(tmp_path: Path) -> dict[str, Path]:
    ca = CertificateAuthority("stack-cfo test CA")
    cert, key = ca.issue("stack-cfo", server=True).write(tmp_path, "server")
    _, other_key = ca.issue("someone-else", server=True).write(tmp_path, "other")
    encrypted = tmp_path / "encrypted.key"
    encrypted.write_bytes(serialization.load_pem_private_key(key.read_bytes(), None).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"passphrase")))
    garbage = tmp_path / "garbage.pem"
    garbage.write_bytes(b"not a PEM file\n")
    return {"cert": cert, "key": key, "other_key": other_key, "encrypted": encrypted, "garbage": garbage}


CASES = [
    # (what the variables are set to, the variable blamed, words of the problem)
    ({"STACK_CFO_TLS_KEY_FILE": "cert"}, "STACK_CFO_TLS_KEY_FILE (server.tls_key_file)", "not a PEM private key"),
    ({"STACK_CFO_TLS_KEY_FILE": "other_key"}, "STACK_CFO_TLS_KEY_FILE (server.tls_key_file)",
     "does not match the certificate"),
    ({"STACK_CFO_TLS_KEY_FILE": "encrypted"}, "STACK_CFO_TLS_KEY_FILE (server.tls_key_file)", "encrypted"),
    ({"STACK_CFO_TLS_CERT_FILE": "key"}, "STACK_CFO_TLS_CERT_FILE (server.tls_cert_file)",
     "not a PEM certificate chain"),
    ({"STACK_CFO_TLS_CLIENT_CA_FILE": "garbage"}, "STACK_CFO_TLS_CLIENT_CA_FILE (server.tls_client_ca_file)",
     "not a PEM CA bundle"),
]


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("bad, blamed, problem", CASES, ids=["cert-as-key", "other-key", "encrypted-key",
                                                            "key-as-cert", "garbage-ca"])
async def test_a_tls_file_that_does_not_load_is_one_line_and_exit_2(
    bad: dict[str, str], blamed: str, problem: str, workers: int, db_dsn: str, tmp_path: Path
) -> None:
    files = _files(tmp_path)
    tls = {"STACK_CFO_TLS_CERT_FILE": str(files["cert"]), "STACK_CFO_TLS_KEY_FILE": str(files["key"]),
           **{var: str(files[name]) for var, name in bad.items()}}
    env = cli_env({"DATABASE_URL": db_dsn, "STACK_CFO_DATA_DIR": str(tmp_path),
                   "STACK_CFO_LISTEN": f"127.0.0.1:{free_port()}", **tls})
    argv = ["serve", "--workers", str(workers)]
    started = time.monotonic()
    proc = start_cli(argv, env)
    try:
        rc, _, err = await asyncio.to_thread(finish, proc, f"serve --workers {workers}", 30)
    except subprocess.TimeoutExpired:  # serving, or restarting its workers: stop it, then fail
        proc.terminate()
        _, _, err = await asyncio.to_thread(finish, proc, "serve (stopped)", 30)
        pytest.fail(f"serve --workers {workers} did not exit: {err[-2000:]}")
    assert rc == 2, err
    assert "Traceback" not in err, err
    lines = err.strip().splitlines()
    assert lines == [line for line in lines if line.startswith("stack-cfo: invalid configuration: ")], err
    assert len(lines) == 1 and f"invalid configuration: {blamed}: " in lines[0] and problem in lines[0], err
    assert "worker exited" not in err, err  # the supervisor refused it before starting any worker
    assert time.monotonic() - started < 30
