"""The `landingzone` command: ``server/`` for operators, ``uploader/`` for uploaders."""
