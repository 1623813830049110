"""The uploader's commands: push, files, uploaddata and results, on the SDK (no server code)."""
