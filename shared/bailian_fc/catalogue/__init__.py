"""The app catalogue: keys, output models, prompts (single source of app types)."""
