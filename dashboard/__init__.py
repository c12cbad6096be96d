"""The Dark Figure dashboard: a Dash app over the store and the ``analysis`` estimators.

Build it with :func:`dashboard.app.create_app`; nothing is constructed at import time.
"""
