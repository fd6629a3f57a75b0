"""Offline tools that train, calibrate, distil and evaluate the shipped sentiment models (see MODEL.md).

The daemon never imports this package: the scorer (``monitor.nlp.sentiment``) needs only the
shipped artifacts, and the label names live in :mod:`monitor.names`. A test checks this by
importing the service in a fresh interpreter and looking at ``sys.modules``. Each module here is
also a command, e.g. ``python -m monitor.nlp.sentiment.training.train en --data ../shared/data``.
"""
