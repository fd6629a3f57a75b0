# Brand Monitor: CPU-only image, non-root, health-checked, configured from /config, state in /data.
#   docker build -t brand-monitor .
#   docker run --stop-timeout 30 -v "$PWD/deploy/config:/config:ro" -v bm-data:/data -p 8080:8080 \
#     -e MONITOR_API_TOKEN="$(openssl rand -hex 32)" brand-monitor
# Without /config/monitor.yaml it runs the embedded demo on loopback. Compose: deploy/compose.yaml.

# -- build: the wheel, with keywords.yaml, playbooks and the demo recording packed in
FROM python:3.11-slim AS build
WORKDIR /src
COPY . .
RUN pip install --no-cache-dir setuptools==84.2.1 \
    && pip wheel --no-cache-dir --no-deps --no-build-isolation -w /wheels .

# -- run
FROM python:3.11-slim

ENV PIP_NO_CACHE_DIR=1 \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    XDG_CACHE_HOME=/home/monitor/.cache \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    MONITOR_HOST=0.0.0.0 \
    MONITOR_DATA_DIR=/data

# CJK fonts so Chinese renders in the console and reports, not as boxes. Debian's own versions;
# pinning them would break the build at every point release.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-noto-cjk \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --gid 10001 monitor \
    && useradd --create-home --uid 10001 --gid 10001 --shell /usr/sbin/nologin monitor \
    && mkdir -p /data /config && chown monitor:monitor /data /config

# CPU torch first, from PyTorch's CPU wheel index, so nothing pulls a CUDA build.
RUN pip install --no-cache-dir --index-url https://download.pytorch.org/whl/cpu torch==2.13.0
COPY --from=build /wheels /wheels
# hadolint ignore=DL3013
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels

USER 10001:10001
# Build the sentiment model's fast path once, into the image, so the first start is quick.
RUN monitor sentiment score "warm-up" >/dev/null

WORKDIR /data
VOLUME ["/config", "/data"]
EXPOSE 8080
# The port the daemon really listens on: MONITOR_PORT, else server.port of /config/monitor.yaml.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "-m", "monitor.cli.healthcheck", "--config", "/config/monitor.yaml"]
# SIGTERM drains in-flight work and deliveries for runtime.drain_timeout (20s by default):
# stop with a longer grace (docker run --stop-timeout 30; compose stop_grace_period: 30s).
STOPSIGNAL SIGTERM
# MONITOR_HOST=0.0.0.0 opens the API beyond loopback, so a mounted config needs MONITOR_API_TOKEN
# (or server.api_token); without it the daemon refuses to start and says so.
CMD ["sh", "-c", "if [ -f /config/monitor.yaml ]; then exec monitor run --config /config/monitor.yaml; else echo 'no /config/monitor.yaml: running the embedded demo on loopback (monitor init DIR writes a config to mount)' >&2; MONITOR_HOST=127.0.0.1 exec monitor run; fi"]
