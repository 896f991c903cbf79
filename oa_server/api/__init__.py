"""The HTTP API: dependencies, error handlers, middleware and one route module per area."""
