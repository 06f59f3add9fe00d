"""Demo data: ``python seed.py [--if-empty]``, the same as ``flask --app tracker seed``.

The data and the code that writes it live in the package (tracker.demo.seed), so
``flask seed`` also works from an installed wheel; this script only makes the app.
"""
import argparse

from tracker import create_app
from tracker.demo import seed


def main(argv=None):
    parser = argparse.ArgumentParser(description="Load the tracker demo data.")
    parser.add_argument("--if-empty", action="store_true",
                        help="only seed when the ledger has no projects")
    args = parser.parse_args(argv)
    app = create_app()
    with app.app_context():
        seed.run(if_empty=args.if_empty)


if __name__ == "__main__":
    raise SystemExit(main())
