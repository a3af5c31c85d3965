# dhcp: (filled in by its owner)
