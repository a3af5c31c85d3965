# docs: man pages and guides.
EXTRA_DIST += docs
dist_man_MANS += docs/provd.1
