# Brand Monitor: CPU-only image, non-root, health-checked.
#   docker build -t brand-monitor .
#   docker run -v $PWD/monitor.yaml:/config/monitor.yaml:ro -v bm-data:/data -p 8080:8080 brand-monitor
FROM python:3.11-slim

ENV PIP_NO_CACHE_DIR=1 \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    XDG_CACHE_HOME=/home/monitor/.cache \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1

RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin monitor \
    && mkdir -p /data /config && chown monitor:monitor /data /config

WORKDIR /app
# CPU torch first, from PyTorch's CPU wheel index, so nothing pulls a CUDA build.
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0
COPY pyproject.toml README.md MODEL.md keywords.yaml ./
COPY monitor ./monitor
COPY playbooks ./playbooks
COPY examples ./examples
RUN pip install -e . && chown -R monitor:monitor /app

USER monitor
# Build the sentiment model's fast path once, into the image, so the first start is quick.
RUN monitor sentiment score "warm-up" >/dev/null

WORKDIR /data
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD python -c "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4).status == 200 else 1)"
STOPSIGNAL SIGTERM
# With /config/monitor.yaml mounted it runs that; without, the embedded demo default.
CMD ["sh", "-c", "if [ -f /config/monitor.yaml ]; then exec monitor run --config /config/monitor.yaml; else exec monitor run; fi"]
