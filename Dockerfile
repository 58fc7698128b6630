# The hub's image: `interop-hub serve SERVICES` is its entry point (docker-compose.yml).
# The emulated departments of simulations/ run from the same image.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

# Dependencies first, so that a source change does not reinstall them.
COPY pyproject.toml README.md ./
COPY contracts ./contracts
COPY translation ./translation
COPY hub ./hub
COPY federation ./federation
COPY simulations ./simulations
COPY deploy ./deploy
RUN pip install ".[postgres]" \
    && useradd --system --uid 10001 --home-dir /data hub \
    && mkdir -p /data && chown hub /data

USER hub
VOLUME ["/data"]
EXPOSE 8080
ENTRYPOINT ["interop-hub"]
CMD ["serve", "/app/deploy/services/north.toml", "--data", "/data"]
