"""HTTP blueprints, one per audience or resource: parse with a schema, authorize, call the domain, dump."""
