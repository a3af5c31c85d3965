# systemd units: the PXE service and the nightly rebuild timer, installed
# into systemd's unit folder (--with-systemdsystemunitdir; pkg-config's
# systemd value by default). tests/integration/systemd_units.sh checks
# them with systemd-analyze verify.
systemdunit_DATA = scripts/systemd/provd.service scripts/systemd/provd-rebuild.service \
	scripts/systemd/provd-rebuild.timer
EXTRA_DIST += scripts/systemd/provd.service.in scripts/systemd/provd-rebuild.service.in \
	scripts/systemd/provd-rebuild.timer
CLEANFILES += scripts/systemd/provd.service scripts/systemd/provd-rebuild.service

edit_unit = $(MKDIR_P) scripts/systemd && sed -e 's|@bindir[@]|$(bindir)|g'
scripts/systemd/provd.service: $(srcdir)/scripts/systemd/provd.service.in Makefile
	$(AM_V_GEN)$(edit_unit) $(srcdir)/scripts/systemd/provd.service.in > $@.tmp && mv $@.tmp $@
scripts/systemd/provd-rebuild.service: $(srcdir)/scripts/systemd/provd-rebuild.service.in Makefile
	$(AM_V_GEN)$(edit_unit) $(srcdir)/scripts/systemd/provd-rebuild.service.in > $@.tmp && mv $@.tmp $@

TESTS += tests/integration/systemd_units.sh
EXTRA_DIST += tests/integration/systemd_units.sh
