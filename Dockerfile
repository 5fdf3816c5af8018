# Small runtime image: dependencies built in one stage, copied into a slim one.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY service ./service
RUN python -m venv /opt/venv \
 && /opt/venv/bin/pip install --no-cache-dir --disable-pip-version-check .

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 screening
COPY --from=build /opt/venv /opt/venv
COPY lists /app/lists
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    SCREENING_CATALOG=/app/lists/sources.toml \
    SCREENING_POLICY=/app/lists/policy.toml \
    SCREENING_TAGS=/app/lists/tags.toml \
    SCREENING_DATA_DIR=/home/screening/data \
    SCREENING_PORT=50051 \
    LOG_FORMAT=json
USER screening
WORKDIR /home/screening
EXPOSE 50051
# SERVING only once the lists are loaded; a first download can take a minute.
HEALTHCHECK --interval=30s --timeout=5s --start-period=180s --retries=3 CMD ["python", "-m", "service.healthcheck"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["screening"]
CMD ["serve"]
