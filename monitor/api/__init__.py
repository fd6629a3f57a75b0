"""The daemon's own HTTP API, in parts: typed errors, the guard, handlers by area, the OpenAPI document.

:mod:`monitor.http_api` builds the app from the route providers here and elsewhere.
"""
