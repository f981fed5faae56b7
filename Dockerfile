# syntax=docker/dockerfile:1
# Multi-stage: build a wheel with its dependencies, then a slim runtime as a non-root user.
FROM python:3.11-slim AS build
WORKDIR /src
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
# A C compiler for the optional keccak extension (0G Storage Merkle roots, ~2x faster) and safe-pysha3.
RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml README.md ./
COPY stack_cfo ./stack_cfo
RUN python -m venv /opt/venv \
 && /opt/venv/bin/pip install --upgrade pip \
 && /opt/venv/bin/pip install .

FROM python:3.11-slim AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    STACK_CFO_LISTEN=0.0.0.0:50051 \
    STACK_CFO_HEALTH_LISTEN=0.0.0.0:50052 \
    STACK_CFO_METRICS_LISTEN=0.0.0.0:9464 \
    SCHEDULER_METRICS_LISTEN=0.0.0.0:9465 \
    STACK_CFO_MIGRATIONS_DIR=/app/migrations \
    STACK_CFO_DATA_DIR=/var/lib/stack-cfo
RUN groupadd --system --gid 10001 stackcfo \
 && useradd --system --uid 10001 --gid stackcfo --home-dir /var/lib/stack-cfo --create-home stackcfo
COPY --from=build /opt/venv /opt/venv
COPY migrations /app/migrations
COPY config.example.yaml /app/config.example.yaml
WORKDIR /app
USER 10001:10001
# 50051 gRPC, 50052 serve's gRPC health port (the kubelet's grpc probes), 9464 serve's /metrics,
# 9465 the scheduler's /metrics, /livez and /readyz. The health and metrics addresses bind 0.0.0.0
# here (Prometheus and the kubelet reach them from outside the container); outside a container they
# default to loopback.
EXPOSE 50051 50052 9464 9465
# gRPC server by default; the scheduler is the other entrypoint:
#   docker run IMAGE scheduler
ENTRYPOINT ["stack-cfo"]
CMD ["serve"]
