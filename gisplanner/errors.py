"""The error hierarchy shared by the engine, the CLI and the desktop app."""


class GisPlannerError(Exception):
    """Base of every error the tool raises on purpose."""


class InputError(GisPlannerError):
    """Bad input data: names the file, layer, feature and the fix in its message."""

    def __init__(self, message: str, *, file: str | None = None, layer: str | None = None,
                 feature: object | None = None, fix: str | None = None) -> None:
        self.file = file
        self.layer = layer
        self.feature = feature
        self.fix = fix
        parts = []
        if file:
            parts.append(f"file {file}")
        if layer:
            parts.append(f"layer {layer}")
        if feature is not None:
            parts.append(f"feature {feature}")
        where = f"[{', '.join(parts)}] " if parts else ""
        text = f"{where}{message}"
        if fix:
            text += f" Fix: {fix}"
        super().__init__(text)


class ConfigError(GisPlannerError):
    """A broken standards or settings file: names the file, key and value."""

    def __init__(self, message: str, *, file: str | None = None, key: str | None = None,
                 value: object = None) -> None:
        self.file = file
        self.key = key
        self.value = value
        where = []
        if file:
            where.append(f"file {file}")
        if key:
            where.append(f"key {key}")
        if value is not None:
            where.append(f"value {value!r}")
        prefix = f"[{', '.join(where)}] " if where else ""
        super().__init__(prefix + message)


class CancelledError(GisPlannerError):
    """The user cancelled a long-running operation."""
