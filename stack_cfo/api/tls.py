"""TLS (and mTLS) for the gRPC port from certificate files, reloaded when they change.

grpc's dynamic server credentials ask a fetcher for a new certificate configuration at every
TLS handshake; ours compares the files' modification stamps with the loaded ones and returns
a new configuration only when they changed and the new pair is complete (the key matches the
certificate: a rotation that has written the certificate but not yet the key keeps the old
pair until both are in place). Connections already open keep the certificate they were made
with; new connections get the new one. No restart.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import grpc

from stack_cfo.config import ConfigError, ServerConfig
from stack_cfo.config.fields import FieldError
from stack_cfo.config.service import TlsFiles, read_tls_files

log = logging.getLogger(__name__)


def _stamp(path: Path | None) -> tuple[int, int] | None:
    if path is None:
        return None
    st = os.stat(path)
    return st.st_mtime_ns, st.st_size


class CertificateFiles:
    """The server certificate, its key and the optional client CA, as files on disk."""

    def __init__(self, cert_file: Path, key_file: Path, client_ca_file: Path | None = None) -> None:
        self.cert_file = cert_file
        self.key_file = key_file
        self.client_ca_file = client_ca_file
        self._stamps = self._current_stamps()
        self._loaded = self._read()
        self.reloads = 0

    def _current_stamps(self) -> tuple[object, ...]:
        return (_stamp(self.cert_file), _stamp(self.key_file), _stamp(self.client_ca_file))

    def _read(self) -> TlsFiles:
        return read_tls_files(self.cert_file, self.key_file, self.client_ca_file)

    def _configuration(self, loaded: TlsFiles) -> grpc.ServerCertificateConfiguration:
        return grpc.ssl_server_certificate_configuration(
            [(loaded.key, loaded.chain)], root_certificates=loaded.client_ca
        )

    def fetch(self) -> grpc.ServerCertificateConfiguration | None:
        """grpc's per-handshake callback: a new configuration when the files changed, else None."""
        try:
            stamps = self._current_stamps()
            if stamps == self._stamps:
                return None
            loaded = self._read()
        except Exception as exc:  # half-written files: keep serving the pair we have, look again next time
            log.warning("TLS files changed but do not load yet; keeping the current certificate",
                        extra={"error": type(exc).__name__, "detail": str(exc)[:200]})
            return None
        self._stamps, self._loaded = stamps, loaded
        self.reloads += 1
        log.info("TLS certificate reloaded", extra={"cert_file": str(self.cert_file)})
        return self._configuration(loaded)

    def credentials(self) -> grpc.ServerCredentials:
        return grpc.dynamic_ssl_server_credentials(
            self._configuration(self._loaded),
            self.fetch,
            require_client_authentication=self.client_ca_file is not None,
        )


def certificate_files(cfg: ServerConfig) -> CertificateFiles | None:
    if cfg.tls_cert_file is None or cfg.tls_key_file is None:
        return None
    try:
        return CertificateFiles(cfg.tls_cert_file, cfg.tls_key_file, cfg.tls_client_ca_file)
    except FieldError as exc:  # checked when the configuration loaded; changed since: the same refusal
        raise ConfigError(f"server.{exc.key}", str(exc)) from None
    except OSError as exc:  # gone since (the stamps are taken first)
        paths = {str(cfg.tls_cert_file): "tls_cert_file", str(cfg.tls_key_file): "tls_key_file",
                 str(cfg.tls_client_ca_file): "tls_client_ca_file"}
        key = paths.get(str(exc.filename), "tls_cert_file")
        raise ConfigError(f"server.{key}", f"file {str(exc.filename)!r} cannot be read: "
                                           f"{exc.strerror or exc}") from None
