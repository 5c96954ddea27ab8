# The sec-release worker (and CLI) for docker-compose.yml: `docker compose up -d --build`.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY . .
RUN pip install . \
    && useradd --create-home --uid 10001 sec-release \
    && mkdir -p /data \
    && chown sec-release /data

# Contacts (contacts.yaml) and anything else sec-release keeps on disk; the store itself is
# the PostgreSQL database named by DATABASE_URL.
ENV SEC_RELEASE_DATA_DIR=/data
VOLUME ["/data"]
USER sec-release
WORKDIR /data

CMD ["sec-release", "worker"]
