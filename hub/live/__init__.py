"""Live updates: stage changes announced through PostgreSQL LISTEN/NOTIFY, served over graphql-transport-ws."""
