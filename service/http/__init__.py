"""The HTTP/JSON door beside gRPC: the same service, checks and audit (issue 16)."""
