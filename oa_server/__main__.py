"""`python -m oa_server` runs the admin CLI."""

from oa_server.cli import main

raise SystemExit(main())
