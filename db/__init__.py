"""Storage: settings, engine and sessions, the embedded server, models, migrations and repositories.

Every SQL statement of Markaz lives in this package; it imports nothing from the layers above it.
"""
