"""`python -m service.healthcheck`: exit 0 when the local server reports SERVING.

Used by the Docker HEALTHCHECK; it asks the standard grpc.health.v1 service,
so it reflects list loading, not just an open port.
"""

from __future__ import annotations

import os
import sys

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc


def main() -> int:
    target = os.environ.get("SCREENING_HEALTH_TARGET", f"127.0.0.1:{os.environ.get('SCREENING_PORT', '50051')}")
    with grpc.insecure_channel(target) as channel:
        try:
            response = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=3)
        except grpc.RpcError as exc:
            print(f"unhealthy: {exc.code().name}: {exc.details()}", file=sys.stderr)
            return 1
    status = health_pb2.HealthCheckResponse.ServingStatus.Name(response.status)
    print(status)
    return 0 if response.status == health_pb2.HealthCheckResponse.SERVING else 1


if __name__ == "__main__":
    sys.exit(main())
