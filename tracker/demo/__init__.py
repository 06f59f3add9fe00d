"""Demo data: Fushun's counties and "6+N" task forces, a year of projects written through the
services (the same validation and audit trail as the forms). Not a use-case of the app:
``flask seed`` and seed.py load it.

    seed   load the demo data (idempotent)
    data   the demo world
    plan   each project's history, built deterministically from the data
"""
