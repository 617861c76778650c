"""The agent loop: a model acting with tools in a sandboxed session over many turns, each turn stored."""
