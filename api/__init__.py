"""HTTP and GraphQL surface: Starlette app, Strawberry schema, authentication, CLI."""
