"""One module per app: each declares ``SPEC`` (its models, prompt, context, meta); ``registry.py`` lists them."""
