#!/bin/bash
# The shipped systemd units (scripts/systemd): systemd-analyze verify
# (syntax, known keys, the executables exist) with ExecStart pointing at
# this build's provd; the timer's calendar is one systemd accepts; the
# commands they run exist and take those arguments.
. "$top_srcdir/tests/integration/lib.sh"
command -v systemd-analyze >/dev/null || skip_all "systemd-analyze is not installed (systemd)"

plan 6
T=$(tmpdir)
for u in provd.service provd-rebuild.service; do
	sed "s|@bindir@|$top_builddir/provd|g" "$top_srcdir/scripts/systemd/$u.in" > "$T/$u"
done
cp "$top_srcdir/scripts/systemd/provd-rebuild.timer" "$T/"
# man:provd(1) is looked up with man(1); this test runs before install
# An unknown key or section is only a warning to systemd: fail on it too.
v() {
	local out rc
	out=$(SYSTEMD_LOG_LEVEL=warning systemd-analyze verify --man=no "$@" 2>&1); rc=$?
	[ -n "$out" ] && diag "$out"
	[ $rc -eq 0 ] && ! grep -qi "unknown \(key\|section\|lvalue\)" <<<"$out"
}
ok "systemd-analyze verify accepts provd.service" v "$T/provd.service"
ok "systemd-analyze verify accepts provd-rebuild.service and .timer" v "$T/provd-rebuild.service" "$T/provd-rebuild.timer"
cal=$(sed -n 's/^OnCalendar=//p' "$T/provd-rebuild.timer")
ok "the timer's calendar ($cal) is valid" systemd-analyze calendar "$cal"
ok "ExecStart of provd-rebuild.service runs (provd rebuild --help)" "$PROVD" rebuild --help
ok "ExecStart of provd.service takes \$PROVD_SERVE_ARGS empty (provd serve --help)" "$PROVD" serve --help
ok "ExecStartPre (provd check) is a command" sh -c "'$PROVD' check --help >/dev/null"
done_testing
