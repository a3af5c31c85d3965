# templates: (filled in by its owner)
