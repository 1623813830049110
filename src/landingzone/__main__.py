"""`python -m landingzone ...` is the `landingzone` command."""

from landingzone.cli.main import main

main()
