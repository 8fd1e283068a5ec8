"""ASGI applications the bridge tests serve on uvicorn and on ``spikard serve``."""
