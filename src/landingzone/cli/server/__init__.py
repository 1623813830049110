"""The operator's commands: serve, worker, migrate, config and admin, on the operator facade."""
