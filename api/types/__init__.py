"""GraphQL types: separate classes from ORM rows and domain entities."""
