"""Brand Monitor: a headless daemon that watches what the public says about a brand and
raises blue / yellow / red crisis alerts with the response playbook attached."""

__version__ = "0.1.0"
