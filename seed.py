"""Demo data: ``python seed.py [--if-empty]``, the same as ``flask --app tracker seed``.

The data and the code that writes it live in the package (tracker.services.demo), so
``flask seed`` also works from an installed wheel.
"""
from tracker.services.demo import main

if __name__ == "__main__":
    raise SystemExit(main())
