"""The gRPC door: the server process (it also starts the HTTP door in its loop), the auth interceptor, our clients' channels."""
