"""ASGI entry point for uvicorn: ``api.main:app``."""

import logging

from api.app import create_app

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
# Casbin prints its whole model at INFO on every policy load.
logging.getLogger("casbin").setLevel(logging.WARNING)
app = create_app()
