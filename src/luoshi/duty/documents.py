"""Word documents (GB/T 9704 layout)."""
