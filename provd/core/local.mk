# provd/core: (filled in by its owner)
