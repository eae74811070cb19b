import sys

from tinyrl.cli.main import main

sys.exit(main())
