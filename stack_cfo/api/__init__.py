"""gRPC edge: servicers (proto <-> domain), interceptors, status mapping, server lifecycle."""
