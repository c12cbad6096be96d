"""WSGI entry point: ``waitress-serve dashboard.wsgi:server`` (store from DARKFIGURE_STORE)."""

from dashboard.app import create_app

server = create_app().server
