"""Client for the sanctions and export-control screening service: generated stubs and a small typed client.

from screening_client import ScreeningClient, pb

with ScreeningClient("screening.example:50051", credential=key, ca_file="ca.pem") as client:
    answer = client.screen(pb.Party(name="ACME Trading", addresses=[pb.Address(country="DE")]))
    print(pb.Decision.Name(answer.decision))
"""

from screening_client.client import ScreeningClient
from screening_client.gen import screening_pb2 as pb
from screening_client.gen import screening_pb2_grpc as pb_grpc

__all__ = ["ScreeningClient", "pb", "pb_grpc"]
