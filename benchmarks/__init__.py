"""Speed and quality benchmarks; each prints JSON objects, one per measurement."""
