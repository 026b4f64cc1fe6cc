"""`python -m pipelines.generate --out DIR --days N ...` (same flags as `serviq generate`)."""

import sys

from pipelines.generate.cli import main

sys.exit(main())
