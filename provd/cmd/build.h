/* build: `provd build-vm` — build a golden disk image by network-booting a VM
 * from provd's own PXE service and letting the real installer run.
 *
 * Steps (DESIGN.md "build-vm"): a sparse disk in <state>/builds/ID/; a
 * transient system (generated MAC, the profile, pxe_just_once) registered in
 * the store; an in-process HTTP server on loopback (answers, iPXE script,
 * boot files, callbacks) reached by the guest as 10.0.2.2 through user-mode
 * networking; the VM boots with --pxe; progress (phase, elapsed, last
 * console line) until the install's "done" callback and the guest's reboot
 * or power-off; then the image moves into place atomically with a
 * manifest. Failure or timeout: the VM is stopped, logs stay in the build
 * folder, the previous good image stays where it was.
 */
#ifndef PROVD_CMD_BUILD_H
#define PROVD_CMD_BUILD_H

#include <stdbool.h>

struct build_opts {
	const char *state_dir;
	const char *profile;
	const char *output;	/* NULL: <state>/images/<profile>.<format> */
	const char *format;	/* "raw" | "qcow2"; NULL: profile vm.disk_format, else raw */
	unsigned timeout_s;	/* 0: 4 hours */
	const char *hypervisor;	/* "auto" | "builtin" | "qemu"; NULL: auto */
	const char *accel;	/* qemu: "kvm" | "tcg"; NULL: decided by the probe */
	const char *append;	/* extra kernel arguments for this build */
	bool progress;		/* redraw a status line (stderr is a tty) */
	bool json;		/* print the manifest as JSON on stdout at the end */
	bool keep_system;	/* keep the transient system afterwards (debugging) */
};

/* Run one build. Returns the process exit status: 0 built, 1 failed
 * (reasons printed; the build folder keeps console.log and status). */
int build_vm_run(const struct build_opts *o);

#endif
