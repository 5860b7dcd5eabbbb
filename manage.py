#!/usr/bin/env python
"""Django's manage.py, for developers; ``kehu`` is the same with a friendlier help."""

from kehu.cli import main

if __name__ == "__main__":
    main()
