"""Validating uploaded files in the background: claims, leases, fencing, the analytics sink."""
