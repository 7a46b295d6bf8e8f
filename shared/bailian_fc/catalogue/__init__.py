"""The app catalogue: the registry of app modules, their shared models and prompt formatting."""
