"""`python -m service.healthcheck`: exit 0 when the local server reports SERVING.

Used by the Docker HEALTHCHECK; it asks the standard grpc.health.v1 service,
so it reflects list loading, not just an open port. Health needs no credential;
when the server speaks TLS, SCREENING_TLS_CA (and, for mutual TLS, the client
certificate) tell the check how, as for any client (service.settings.ClientSettings).
"""

from __future__ import annotations

import dataclasses
import os
import sys

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from service.grpc_door.client import open_channel
from service.settings import ClientSettings, SettingsError


def main() -> int:
    target = os.environ.get("SCREENING_HEALTH_TARGET", f"127.0.0.1:{os.environ.get('SCREENING_PORT', '50051')}")
    try:
        client = dataclasses.replace(ClientSettings.from_env(), target=target, api_key="")
    except SettingsError as exc:
        print(f"unhealthy: {exc}", file=sys.stderr)
        return 1
    with open_channel(client) as channel:
        try:
            response = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=3)  # type: ignore[attr-defined]  # typeshed's HealthStub declares no methods
        except grpc.RpcError as exc:
            print(f"unhealthy: {exc.code().name}: {exc.details()}", file=sys.stderr)
            return 1
    status = health_pb2.HealthCheckResponse.ServingStatus.Name(response.status)
    print(status)
    return 0 if response.status == health_pb2.HealthCheckResponse.SERVING else 1


if __name__ == "__main__":
    sys.exit(main())
