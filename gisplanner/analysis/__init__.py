"""The engine: pure analysis functions, no Qt."""
