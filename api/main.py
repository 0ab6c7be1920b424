"""ASGI entry point for uvicorn: ``api.main:app``."""

from api.app import create_app
from api.logs import configure_logging
from api.settings import get_settings

configure_logging(get_settings().log_format)
app = create_app()
