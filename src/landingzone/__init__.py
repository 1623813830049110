"""landingzone: a self-hosted landing zone for customer data files."""

__version__ = "0.1.0"
