"""Start the gisplanner desktop app: ``python run.py [PROJECT.gpkg]``; without a file it opens the demo."""

import sys

from gisplanner.ui.app import main

if __name__ == "__main__":
    sys.exit(main())
