import sys

from tashawur.cli import main

sys.exit(main())
