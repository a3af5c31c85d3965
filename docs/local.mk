# docs: man pages and guides.
EXTRA_DIST += docs
