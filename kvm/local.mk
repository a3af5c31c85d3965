# kvm: (filled in by its owner)
