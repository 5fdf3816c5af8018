"""Who is calling: principals, API keys, identity-provider tokens, roles, fair-share limits.

The transport layer (service.grpc_door.interceptors.auth) turns a call's credentials
into a `Principal` with these modules, checks its role for the method and its
rate limit, and publishes it in `current_principal` for the handler; nothing
else in the service reads credentials.
"""
