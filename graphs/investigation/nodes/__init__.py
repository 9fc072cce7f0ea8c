"""One module per node; each node is an async function ``(state, runtime) -> state update``."""
