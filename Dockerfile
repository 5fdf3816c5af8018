# Small runtime image: dependencies built in one stage, copied into a slim one.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md requirements.lock ./
COPY service ./service
# Every dependency at the locked version and hash (requirements.lock), then the service itself.
RUN python -m venv /opt/venv \
 && /opt/venv/bin/pip install --no-cache-dir --disable-pip-version-check --require-hashes -r requirements.lock \
 && /opt/venv/bin/pip install --no-cache-dir --disable-pip-version-check --no-deps .

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 screening \
 && mkdir -p /tls /secrets \
 && chown screening /tls /secrets \
 && chmod 0700 /secrets
COPY --from=build /opt/venv /opt/venv
COPY lists /app/lists
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    SCREENING_CATALOG=/app/lists/sources.toml \
    SCREENING_POLICY=/app/lists/policy.toml \
    SCREENING_TAGS=/app/lists/tags.toml \
    SCREENING_REGIONS=/app/lists/regions.toml \
    SCREENING_SECTORS=/app/lists/sectors.toml \
    SCREENING_DATA_DIR=/home/screening/data \
    SCREENING_PORT=50051 \
    SCREENING_HTTP_PORT=8080 \
    SCREENING_ROLES=/app/lists/roles.toml \
    SCREENING_BOOTSTRAP_KEY_FILE=/secrets/admin.key \
    LOG_FORMAT=json
USER screening
WORKDIR /home/screening
EXPOSE 50051 8080 9464
# SERVING only once the lists are loaded; a first download can take a minute. Health needs no
# credential; with TLS on, set SCREENING_TLS_CA (and SCREENING_HEALTH_TARGET to a name the
# certificate carries) so that the check speaks TLS too (see docker-compose.yml).
HEALTHCHECK --interval=30s --timeout=5s --start-period=180s --retries=3 CMD ["python", "-m", "service.healthcheck"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["screening"]
CMD ["serve"]
