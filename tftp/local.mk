# tftp: (filled in by its owner)
