"""gRPC server interceptors: concerns every RPC shares, one per module."""
