"""Click commands kept outside ``sync/cli.py``, which registers them."""
